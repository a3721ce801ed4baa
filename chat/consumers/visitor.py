"""The widget's socket: /ws/visitor/?site=<public key>.

Only origins allowed for the site may connect. The first frame is `resume` (with the
stored token, or none); until then nothing else is accepted. A visitor only ever
reaches their own conversations: every lookup is keyed by the visitor resumed here.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import parse_qs

from django.conf import settings
from django.utils import timezone

from chat import events
from chat.admission import Ticket
from chat.consumers import frames as F
from chat.consumers.base import CLOSE_FORBIDDEN, JsonSocket, db, header, origin_of
from chat.consumers.gate import CLOSE_BUSY, retry_frame
from chat.models import Conversation, Message
from chat.services import conversations as conv_service
from chat.services.messages import SendItem, message_history
from chat.services.visitors import visitor_resume, visitor_token
from chat.sitecache import site_for_handshake
from chat.writer import get_writer
from core import realtime
from core.errors import ServiceError
from core.ratelimit import TokenBucket
from leads import events as lead_events
from leads.forms import FormInvalid
from leads.services.availability import availability_payload_cached
from leads.services.chatforms import form_reply_submit
from targeting import clock, live
from targeting.runtime import Targeter
from targeting.services.identify import identify_verify
from targeting.tracking import BadEvent, parse_events
from targeting.writer import get_track_writer

log = logging.getLogger(__name__)

# Sockets of each visitor in this process: "away" only when the last one leaves.
_local_sockets: dict[int, int] = {}


# Frames a client may send behind `resume` before `hello`; they wait for it.
EARLY_FRAMES_MAX = 30


class _Abandoned(Exception):
    """The resume's client is gone or its budget ran out: stop working for it."""


async def mark_away_later(conversation_id: int, visitor, left_at) -> None:
    await asyncio.sleep(settings.CHAT["VISITOR_AWAY_GRACE_SECONDS"])
    if _local_sockets.get(visitor.pk):
        return
    await db(conv_service.conversation_visitor_away)(
        conversation_id=conversation_id, visitor=visitor, left_at=left_at
    )


class VisitorConsumer(JsonSocket):
    frame_rate_setting = "VISITOR_FRAME_RATE"

    async def connect(self):
        # The admission gate (chat/consumers/gate.py) let this socket in and holds
        # its place until `hello`; it is None where no gate runs.
        self.ticket: Ticket | None = self.scope.get("admission_ticket")
        self.abandoned = False
        self.resume_task: asyncio.Task | None = None
        self.held_frames: list[dict] | None = None
        self.early_frames: list[str] = []
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        key = (query.get("site") or [""])[0]
        self.language = (query.get("lang") or [""])[0][:10]
        self.site = await site_for_handshake(key)
        origin = origin_of(self.scope)
        if self.site is None or origin is None or origin not in self.site.origins:
            self.release_ticket(completed=False)
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.bind_loop()
        self.visitor = None
        self.conversation_id: int | None = None
        self.assignee_id: int | None = None
        self.status: str | None = None
        rate, burst = settings.CHAT["VISITOR_MESSAGE_RATE"]
        self.message_bucket = TokenBucket(rate, burst)
        self.typing_bucket = TokenBucket(2, 4)
        self.event_bucket = TokenBucket(*settings.CHAT["VISITOR_EVENT_RATE"])
        self.live = None
        self.targeter: Targeter | None = None
        await self.accept()
        if self.ticket is not None:
            # A client that never sends `resume` must not hold its place.
            self.budget_timer = asyncio.get_running_loop().call_later(
                self.ticket.deadline - self.ticket.started, self.resume_overdue
            )

    def release_ticket(self, *, completed: bool) -> None:
        ticket = self.ticket
        if ticket is None:
            return
        self.ticket = None
        ticket.release(completed=completed)
        timer = getattr(self, "budget_timer", None)
        if timer is not None:
            timer.cancel()

    def resume_overdue(self) -> None:
        """The resume ran past its budget: drop its work and send the client back."""
        ticket = self.ticket
        if ticket is None:
            return
        self.abandoned = True
        self.release_ticket(completed=False)
        if self.resume_task is not None:
            self.resume_task.cancel()
        hint = ticket.owner.retry_hint()
        asyncio.get_running_loop().create_task(self.send_back(hint))

    async def send_back(self, retry_after: float) -> None:
        await self.send(text_data=retry_frame(retry_after))
        await self.close(code=CLOSE_BUSY)

    async def websocket_disconnect(self, message):
        # The client left mid-resume: cancel the resume's queued database work.
        task = self.resume_task
        if task is not None and not task.done():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.release_ticket(completed=False)
        await super().websocket_disconnect(message)

    async def disconnect(self, code):
        visitor = getattr(self, "visitor", None)
        if visitor is None:
            return
        if self.live is not None:
            live.live_detach(visitor.pk)
        if self.targeter is not None:
            self.targeter.close()
        left = _local_sockets.get(visitor.pk, 1) - 1
        if left > 0:
            _local_sockets[visitor.pk] = left
            return
        _local_sockets.pop(visitor.pk, None)
        if self.conversation_id and self.status == Conversation.Status.ACTIVE:
            # Page navigations reconnect at once: only a visitor still gone after the
            # grace is "away". The task outlives this consumer.
            asyncio.get_running_loop().create_task(
                mark_away_later(self.conversation_id, visitor, timezone.now())
            )

    def on_meta(self, meta: dict) -> None:
        # A visitor has one open conversation; a newer id replaces a closed one.
        if self.conversation_id is None or meta["conversation"] >= self.conversation_id:
            self.conversation_id = meta["conversation"]
            self.assignee_id = meta["assignee"]
            self.status = meta["status"]

    def remember(self, conversation: Conversation | None) -> None:
        if conversation is not None:
            self.on_meta(events.conversation_meta(conversation))

    def require_visitor(self):
        if self.visitor is None or self.held_frames is not None:
            raise F.FrameError("not_ready", "Send 'resume' first.")
        return self.visitor

    async def frame_resume(self, data: dict):
        if self.visitor is not None or self.resume_task is not None:
            raise F.FrameError("already_resumed", "This socket is already resumed.")
        token = F.opt_str(data, "token", max_len=400)
        # The resume runs as its own task so that a disconnect (handled by the
        # consumer meanwhile) or the budget's end can cancel its database work.
        self.held_frames = []
        self.resume_task = asyncio.get_running_loop().create_task(
            self.run_resume(token)
        )

    async def run_resume(self, token: str | None) -> None:
        try:
            await self._resume(token)
        except (_Abandoned, asyncio.CancelledError):
            return
        except (F.FrameError, ServiceError) as exc:
            # A refused resume leaves the socket as it was: the client may try again.
            self.resume_task = self.held_frames = None
            await self.send_error(exc.code, exc.message)
            early, self.early_frames = self.early_frames, []
            for text in early:
                await self.receive(text_data=text)
        except Exception:
            self.release_ticket(completed=False)
            log.exception("resume failed")
            await self.send_error("unavailable", "Temporarily unavailable; retry.")
            await self.close(code=1011)

    def check_budget(self) -> None:
        if self.abandoned or (self.ticket is not None and self.ticket.overdue()):
            raise _Abandoned

    def _resume_visitor(self, token: str | None):
        """One trip to the ORM thread: the visitor, and their live targeting
        snapshot when this process holds none yet."""
        visitor, created = visitor_resume(
            site=self.site,
            token=token,
            language=self.language,
            user_agent=(header(self.scope, b"user-agent") or "")[:300],
            ip=(self.scope.get("client") or [None])[0],
        )
        loaded = None
        if live.live_get(visitor.pk) is None:
            loaded = live.snapshot_load(
                visitor=visitor, site=self.site, now=clock.now()
            )
        return visitor, created, loaded

    async def _resume(self, token: str | None) -> None:
        self.check_budget()
        visitor, created, loaded = await db(self._resume_visitor)(token)
        self.check_budget()
        # From here on the socket is this visitor's (disconnect undoes all of it).
        self.visitor = visitor
        _local_sockets[visitor.pk] = _local_sockets.get(visitor.pk, 0) + 1
        self.live = live.live_attach(visitor.pk, loaded)
        self.targeter = Targeter(self)
        # Subscribe before reading state, so nothing published in between is missed.
        await self.join(events.visitor_group(self.visitor.pk))
        await self.join(lead_events.site_visitors_group(self.site.pk))
        snapshot, availability = await db(self._pong)()
        self.check_budget()
        self.release_ticket(completed=True)
        await self.send_json(
            {
                "type": "hello",
                "visitor": {
                    "id": str(self.visitor.public_id),
                    "token": visitor_token(self.visitor),
                    "new": created,
                },
                "conversation": snapshot,
                "availability": availability,
                "heartbeat": settings.CHAT["HEARTBEAT_SECONDS"],
                "limits": {
                    "max_text_chars": settings.CHAT["MAX_TEXT_CHARS"],
                    "max_frame_bytes": settings.CHAT["MAX_FRAME_BYTES"],
                    "events_per_second": settings.CHAT["VISITOR_EVENT_RATE"][0],
                    "events_burst": settings.CHAT["VISITOR_EVENT_RATE"][1],
                },
            }
        )
        # Frames published between subscribing and `hello` follow it, in order,
        # then the client's frames sent behind `resume` are handled as they came.
        held, self.held_frames = self.held_frames or [], None
        for event in held:
            await super().chat_frame(event)
        early, self.early_frames = self.early_frames, []
        for text in early:
            await self.receive(text_data=text)

    async def receive(self, text_data=None, bytes_data=None):
        if self.held_frames is not None and text_data is not None:
            # The resume is still running: a client may send behind `resume`
            # without waiting for `hello` (as before resumes ran as a task).
            if len(self.early_frames) < EARLY_FRAMES_MAX:
                self.early_frames.append(text_data)
            else:
                await self.flood("rate_limited", "Wait for 'hello'.")
            return
        await super().receive(text_data=text_data, bytes_data=bytes_data)

    async def chat_frame(self, event):
        if self.held_frames is not None:
            self.held_frames.append(event)
            return
        await super().chat_frame(event)

    def _snapshot(self) -> dict | None:
        conversation = conv_service.latest_conversation(visitor=self.visitor)
        if conversation is None:
            return None
        if conversation.status != Conversation.Status.CLOSED:
            self.remember(conversation)
        return conv_service.visitor_conversation_snapshot(conversation)

    async def frame_start(self, data: dict):
        visitor = self.require_visitor()
        conversation, _ = await db(conv_service.conversation_start)(visitor=visitor)
        await self._send_conversation(conversation, reason="started")

    async def _send_conversation(self, conversation: Conversation, *, reason: str):
        self.remember(conversation)
        snapshot = await db(conv_service.visitor_conversation_snapshot)(conversation)
        await self.send_json(
            {"type": "conversation", "reason": reason, "conversation": snapshot}
        )

    async def frame_send(self, data: dict):
        visitor = self.require_visitor()
        cid = F.client_id(data)
        body = F.message_body(data)
        if not self.message_bucket.take():
            await self.flood("rate_limited", "You are sending too fast.", cid)
            return
        if self.conversation_id is None or self.status == Conversation.Status.CLOSED:
            conversation, _ = await db(conv_service.conversation_start)(visitor=visitor)
            await self._send_conversation(conversation, reason="started")
        result = await get_writer().submit(
            SendItem(
                conversation_id=self.conversation_id,
                sender_kind=Message.Sender.VISITOR,
                sender_id=visitor.pk,
                sender_name=visitor.name,
                client_id=cid,
                body=body,
            )
        )
        if result.error:
            raise F.FrameError(*result.error)
        message = result.message
        await self.send_json(
            {
                "type": "ack",
                "client_id": cid,
                "conversation": message.conversation_id,
                "id": message.pk,
                "seq": message.seq,
                "created_at": message.created_at.isoformat(),
                "duplicate": result.duplicate,
            }
        )

    async def frame_typing(self, data: dict):
        self.require_visitor()
        typing = F.req_bool(data, "typing")
        if not self.typing_bucket.take() or not self.conversation_id:
            return
        if self.assignee_id:
            realtime.publish_ephemeral(
                events.agent_group(self.assignee_id),
                {
                    "type": "typing",
                    "conversation": self.conversation_id,
                    "sender": "visitor",
                    "typing": typing,
                },
            )

    async def frame_read(self, data: dict):
        visitor = self.require_visitor()
        seq = F.req_int(data, "seq")
        conversation_id = F.req_int(data, "conversation")
        await db(conv_service.conversation_mark_read)(
            conversation_id=conversation_id, seq=seq, visitor=visitor
        )

    async def frame_close(self, data: dict):
        visitor = self.require_visitor()
        conversation_id = F.req_int(data, "conversation")
        conversation = await db(conv_service.conversation_close)(
            conversation_id=conversation_id, visitor=visitor
        )
        await self._send_conversation(conversation, reason="closed")

    async def frame_sync(self, data: dict):
        """Resync after reconnect: state plus messages after `after_seq`."""
        visitor = self.require_visitor()
        conversation_id = F.req_int(data, "conversation")
        after = F.req_int(data, "after_seq")
        frame = await db(self._history)(visitor, conversation_id, after)
        await self.send_json(frame)

    def _history(self, visitor, conversation_id: int, after: int) -> dict:
        conversation = (
            Conversation.objects.select_related("assignee")
            .filter(pk=conversation_id, visitor=visitor)
            .first()
        )
        if conversation is None:
            raise F.FrameError("not_found", "No such conversation.")
        messages, more = message_history(
            conversation=conversation,
            after_seq=after,
            for_visitor=True,
            limit=settings.CHAT["HISTORY_PAGE"],
        )
        return {
            "type": "history",
            "conversation": conv_service.visitor_conversation_snapshot(conversation),
            "messages": messages,
            "has_more": more,
        }

    async def frame_ping(self, data: dict):
        """Heartbeat: the answer carries the latest seq, so a client that missed a
        frame (Redis restart, process death) sees the gap and syncs."""
        self.require_visitor()
        snapshot, availability = await db(self._pong)()
        await self.send_json(
            {"type": "pong", "conversation": snapshot, "availability": availability}
        )

    async def send_resync_pong(self) -> None:
        if getattr(self, "visitor", None) is not None:
            await self.frame_ping({})

    def _pong(self) -> tuple[dict | None, dict]:
        return self._snapshot(), availability_payload_cached(self.site)

    async def frame_track(self, data: dict):
        """Behaviour events (targeting): applied to the live snapshot at once, stored
        in batches. No answer; each refused event gets a `bad_event` error."""
        visitor = self.require_visitor()
        now = clock.now()
        try:
            events, refused = parse_events(data.get("events"), now=now)
        except BadEvent as exc:
            get_track_writer().put(visitor.pk, self.site.pk, [], refused=1)
            raise F.FrameError("bad_event", str(exc)) from None
        if not self.event_bucket.take(len(events) or 1):
            await self.flood("rate_limited", "Too many events; slow down.", "track")
            return
        accepted = []
        for index, event in events:
            if event.kind == "identify":
                try:
                    await db(identify_verify)(
                        site=self.site, data=event.data, now=timezone.now()
                    )
                except BadEvent as exc:
                    refused.append((index, str(exc)))
                    continue
            accepted.append(event)
        for index, message in sorted(refused):
            await self.send_json(
                {"type": "error", "code": "bad_event", "message": message,
                 "index": index}
            )  # fmt: skip
        if accepted or refused:
            get_track_writer().put(
                visitor.pk, self.site.pk, accepted, refused=len(refused)
            )
        if accepted:
            live.live_apply(self.live, accepted)
            await self.targeter.on_events({event.kind for event in accepted})

    async def frame_offer_response(self, data: dict):
        """The visitor accepted or rejected the offer on screen (targeting)."""
        self.require_visitor()
        offer_id = F.req_int(data, "offer")
        outcome = data.get("outcome")
        if outcome not in ("accepted", "rejected"):
            raise F.FrameError("bad_field", "'outcome' must be accepted or rejected.")
        offer = await self.targeter.answer(offer_id, outcome)
        if offer.conversation_id:
            conversation = await db(Conversation.objects.get)(pk=offer.conversation_id)
            await self._send_conversation(conversation, reason="started")

    async def frame_form_submit(self, data: dict):
        """An in-chat lead form filled in: a lead, then a `form_reply` message."""
        visitor = self.require_visitor()
        cid = F.client_id(data)
        conversation_id = F.req_int(data, "conversation")
        form_seq = F.req_int(data, "form_seq", minimum=1)
        if not self.message_bucket.take():
            await self.flood("rate_limited", "You are sending too fast.", cid)
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
                ip=(self.scope.get("client") or [None])[0],
                user_agent=(header(self.scope, b"user-agent") or "")[:300],
            )
        except FormInvalid as invalid:
            await self.send_json(
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
        message = result.message
        await self.send_json(
            {
                "type": "ack",
                "client_id": cid,
                "conversation": message.conversation_id,
                "id": message.pk,
                "seq": message.seq,
                "created_at": message.created_at.isoformat(),
                "duplicate": result.duplicate,
                "lead": lead_events.lead_receipt(lead, duplicate=result.duplicate),
            }
        )
