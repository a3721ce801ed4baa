"""leads on chat's visitor and counselor sockets (chat/sockets.py): availability in
`hello`/`pong` and its pushes to every widget of the site, in-chat lead forms."""

from __future__ import annotations

from chat import events as chat_events
from chat.consumers import frames as F
from chat.consumers.base import db, header
from chat.sockets import VisitorPart, register_agent_send_kind, register_visitor_part
from core.errors import ServiceError
from leads import events
from leads.forms import FormInvalid
from leads.services.availability import availability_payload_cached
from leads.services.chatforms import form_reply_submit, lead_form_send


class LeadsPart(VisitorPart):
    frames = {"form_submit": "frame_form_submit"}

    async def resumed(self) -> None:
        # `availability` pushes go to every visitor socket of the site.
        await self.socket.join(events.site_visitors_group(self.socket.site.pk))

    def hello(self) -> dict:
        return {"availability": availability_payload_cached(self.socket.site)}

    pong = hello

    async def frame_form_submit(self, data: dict) -> None:
        """An in-chat lead form filled in: a lead, then a `form_reply` message."""
        socket = self.socket
        visitor = socket.require_visitor()
        cid = F.client_id(data)
        conversation_id = F.req_int(data, "conversation")
        form_seq = F.req_int(data, "form_seq", minimum=1)
        if not socket.message_bucket.take():
            await socket.flood("rate_limited", "You are sending too fast.", cid)
            return
        try:
            result, lead = await db(form_reply_submit)(
                visitor=visitor,
                conversation_id=conversation_id,
                form_seq=form_seq,
                values=data.get("values"),
                consent=data.get("consent"),
                client_id=cid,
                inflow=data.get("inflow"),
                ip=(socket.scope.get("client") or [None])[0],
                user_agent=(header(socket.scope, b"user-agent") or "")[:300],
            )
        except FormInvalid as invalid:
            await socket.send_json(
                {
                    "type": "error",
                    "code": "invalid_form",
                    "message": "Some fields need attention.",
                    "ref": cid,
                    "fields": invalid.errors,
                }
            )
            return
        except ServiceError as exc:
            raise F.FrameError(exc.code, exc.message) from None
        frame = chat_events.ack_frame(cid, result)
        frame["lead"] = events.lead_receipt(lead, duplicate=result.duplicate)
        await socket.send_json(frame)


async def send_lead_form(*, counselor, data: dict):
    """The counselor's `send` of kind `lead_form`: the site's configured form,
    built on the server."""
    return await db(lead_form_send)(
        counselor=counselor,
        conversation_id=F.req_int(data, "conversation"),
        client_id=F.client_id(data),
    )


def register() -> None:
    register_visitor_part(LeadsPart)
    register_agent_send_kind("lead_form", send_lead_form)
