"""Tutorial-style consumers: a visitor's message is saved with one ORM create, then
`group_send` to the counselor's group and to the visitor's own group (the tutorial's
room echo), then acked. Same frames on the wire as our server, so one load generator
drives both: /ws/agent/?a=K, /ws/visitor/?v=I&a=K, `resume` -> `hello`,
`send` -> `ack`."""

import json
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from bench.baselines.tutorial_channels.models import ChatMessage


def params(scope) -> dict[str, str]:
    query = parse_qs(scope["query_string"].decode())
    return {k: v[0] for k, v in query.items()}


class AgentConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.group = f"agent_{params(self.scope)['a']}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send(text_data=json.dumps({"type": "hello"}))

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def chat_message(self, event):
        await self.send(
            text_data=json.dumps({"type": "message", "message": event["message"]})
        )


class VisitorConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        query = params(self.scope)
        self.visitor = query["v"]
        self.agent_group = f"agent_{query['a']}"
        self.group = f"visitor_{self.visitor}"
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        data = json.loads(text_data)
        if data.get("type") == "resume":
            await self.send(text_data=json.dumps({"type": "hello"}))
            return
        if data.get("type") != "send":
            return
        message = await self.save_message(data["body"], data["client_id"])
        payload = {
            "id": message.pk,
            "conversation": self.visitor,
            "sender": {"kind": "visitor", "name": ""},
            "kind": "text",
            "body": message.body,
            "client_id": message.client_id,
            "created_at": message.created_at.isoformat(),
        }
        event = {"type": "chat.message", "message": payload}
        await self.channel_layer.group_send(self.agent_group, event)
        await self.channel_layer.group_send(self.group, event)
        await self.send(
            text_data=json.dumps(
                {"type": "ack", "client_id": message.client_id, "id": message.pk}
            )
        )

    @database_sync_to_async
    def save_message(self, body, client_id):
        return ChatMessage.objects.create(
            room=self.visitor,
            sender=f"visitor {self.visitor}",
            body=body,
            client_id=client_id,
        )

    async def chat_message(self, event):
        await self.send(
            text_data=json.dumps({"type": "message", "message": event["message"]})
        )
