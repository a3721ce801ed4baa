"""The counselor console's socket: /ws/agent/ (session auth, same origin only)."""

from __future__ import annotations

import asyncio
import time

from django.conf import settings

from chat import events, hooks, selectors
from chat.consumers import frames as F
from chat.consumers.base import CLOSE_FORBIDDEN, JsonSocket, db, header, origin_of
from chat.models import Message
from chat.services import conversations as conv_service
from chat.services.messages import SendItem, message_history
from chat.services.presence import counselor_seen, counselor_set_status, presence_sweep
from chat.sockets import agent_send_kinds
from chat.writer import get_writer
from core import realtime

SWEEP_EVERY_SECONDS = 10
_last_sweep = [0.0]


def same_origin(scope) -> bool:
    origin = origin_of(scope)
    host = (header(scope, b"host") or "").lower()
    if origin is None or not host:
        return False
    return origin.split("://", 1)[1] == host or origin in {
        o.lower().rstrip("/") for o in settings.CSRF_TRUSTED_ORIGINS
    }


class AgentConsumer(JsonSocket):
    frame_rate_setting = "AGENT_FRAME_RATE"

    async def connect(self):
        self.counselor = await db(selectors.counselor_for_user)(self.scope.get("user"))
        if self.counselor is None or not same_origin(self.scope):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.bind_loop()
        self.site_ids = await db(selectors.counselor_site_ids)(self.counselor)
        await self.accept()
        await self.join(events.agent_group(self.counselor.pk))
        for site_id in self.site_ids:
            await self.join(events.site_group(site_id))
        await db(counselor_seen)(counselor_id=self.counselor.pk)
        await self.send_json(await db(self._hello)())

    def _session_alive(self) -> bool:
        session = self.scope.get("session")
        key = getattr(session, "session_key", None)
        return bool(key) and session.exists(key)

    def _hello(self) -> dict:
        self.counselor.refresh_from_db()
        frame = selectors.agent_hello(self.counselor)
        frame["heartbeat"] = settings.CHAT["HEARTBEAT_SECONDS"]
        frame["limits"] = {"max_text_chars": settings.CHAT["MAX_TEXT_CHARS"]}
        return frame

    async def disconnect(self, code):
        pass  # presence expires by heartbeat; a reconnect within the grace keeps chats

    async def frame_ping(self, data: dict):
        if not await db(self._session_alive)():
            await self.close(code=CLOSE_FORBIDDEN)  # logged out elsewhere
            return
        await db(counselor_seen)(counselor_id=self.counselor.pk)
        await self.send_json(await db(selectors.agent_pong)(self.counselor))
        await maybe_sweep()

    async def send_resync_pong(self) -> None:
        if getattr(self, "counselor", None) is None:
            return
        await self.send_json(await db(selectors.agent_pong)(self.counselor))

    async def frame_hello(self, data: dict):
        await self.send_json(await db(self._hello)())

    async def frame_status(self, data: dict):
        status = F.req_str(data, "status", max_len=10)
        await db(counselor_set_status)(counselor=self.counselor, status=status)

    async def frame_accept(self, data: dict):
        conversation = await db(conv_service.conversation_accept)(
            conversation_id=F.req_int(data, "conversation"), counselor=self.counselor
        )
        snapshot = await db(events.conversation_for_agent)(conversation)
        await self.send_json(events.conversation_frame("assigned", snapshot))

    async def frame_send(self, data: dict):
        kind = data.get("kind", Message.Kind.TEXT)
        payload = None
        extension = agent_send_kinds.get(kind) if isinstance(kind, str) else None
        if extension is not None:
            # A kind an app above chat handles (leads: the site's lead form).
            result = await extension(counselor=self.counselor, data=data)
            await self._ack(data["client_id"], result)
            return
        if kind == Message.Kind.CARD:
            payload = F.card_payload(data)
            body = payload["title"]
        elif kind == Message.Kind.FORM:
            payload = F.form_payload(data)
            body = payload["title"]
        elif kind in (Message.Kind.TEXT, Message.Kind.NOTE):
            body = F.message_body(data)
        else:
            raise F.FrameError(
                "bad_kind", "kind must be text, card, form, lead_form or note."
            )
        cid = F.client_id(data)
        result = await get_writer().submit(
            SendItem(
                conversation_id=F.req_int(data, "conversation"),
                sender_kind=Message.Sender.AGENT,
                sender_id=self.counselor.pk,
                sender_name=self.counselor.display_name,
                client_id=cid,
                body=body,
                kind=kind,
                payload=payload,
                site_ids=frozenset(self.site_ids),
            )
        )
        await self._ack(cid, result)

    async def _ack(self, cid: str, result) -> None:
        if result.error:
            raise F.FrameError(*result.error)
        await self.send_json(events.ack_frame(cid, result))

    async def frame_typing(self, data: dict):
        conversation_id = F.req_int(data, "conversation")
        typing = F.req_bool(data, "typing")
        visitor_id = await db(self._own_visitor_id)(conversation_id)
        realtime.publish_ephemeral(
            events.visitor_group(visitor_id),
            events.typing_frame(
                conversation_id, "agent", typing, name=self.counselor.display_name
            ),
        )

    def _own_visitor_id(self, conversation_id: int) -> int:
        visitor_id = selectors.assigned_visitor_id(
            counselor=self.counselor, conversation_id=conversation_id
        )
        if visitor_id is None:
            raise F.FrameError("not_assignee", "This conversation is not yours.")
        return visitor_id

    async def frame_read(self, data: dict):
        await db(conv_service.conversation_mark_read)(
            conversation_id=F.req_int(data, "conversation"),
            seq=F.req_int(data, "seq"),
            counselor=self.counselor,
        )

    async def frame_close(self, data: dict):
        conversation = await db(conv_service.conversation_close)(
            conversation_id=F.req_int(data, "conversation"), counselor=self.counselor
        )
        snapshot = await db(events.conversation_for_agent)(conversation)
        await self.send_json(events.conversation_frame("closed", snapshot))

    async def frame_transfer(self, data: dict):
        to_counselor_id = F.opt_int(data, "to_counselor")
        to_team_id = F.opt_int(data, "to_team")
        await db(self._transfer)(
            F.req_int(data, "conversation"), to_counselor_id, to_team_id
        )

    def _transfer(self, conversation_id, to_counselor_id, to_team_id):
        to_counselor, to_team, missing = selectors.transfer_targets(
            to_counselor_id=to_counselor_id, to_team_id=to_team_id
        )
        if missing:
            raise F.FrameError("bad_target", missing)
        conv_service.conversation_transfer(
            conversation_id=conversation_id,
            counselor=self.counselor,
            to_counselor=to_counselor,
            to_team=to_team,
        )

    async def frame_sync(self, data: dict):
        conversation_id = F.req_int(data, "conversation")
        after = F.req_int(data, "after_seq")
        await self.send_json(await db(self._history)(conversation_id, after))

    def _history(self, conversation_id: int, after: int) -> dict:
        conversation = (
            selectors.conversations_visible_to(self.counselor)
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None:
            raise F.FrameError("not_found", "No such conversation.")
        messages, more = message_history(
            conversation=conversation,
            after_seq=after,
            for_visitor=False,
            limit=settings.CHAT["HISTORY_PAGE"],
        )
        if messages:  # a transcript read from the record: the access log
            hooks.personal_data_viewed(
                user=self.counselor.user,
                action=hooks.VIEWED_TRANSCRIPT,
                site_id=conversation.site_id,
                visitor_ids=[conversation.visitor_id],
                conversation_ids=[conversation.pk],
                via="socket",
            )
        snapshot = events.conversation_for_agent(conversation)
        return events.history_frame(snapshot, messages, more)


async def maybe_sweep() -> None:
    """Run the presence sweep from the server too (at most every 10 s per process),
    so requeueing works where no Celery beat runs (the embedded demo)."""
    now = time.monotonic()
    if now - _last_sweep[0] < SWEEP_EVERY_SECONDS:
        return
    _last_sweep[0] = now
    asyncio.get_running_loop().create_task(db(presence_sweep)())
