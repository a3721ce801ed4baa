"""The widget's socket: /ws/visitor/?site=<public key>.

Only origins allowed for the site may connect. The first frame is `resume` (with the
stored token, or none); until then nothing else is accepted. A visitor only ever
reaches their own conversations: every lookup is keyed by the visitor resumed here.

This is chat's part of the socket; the apps built on chat add theirs (availability
and lead forms, tracking and offers) as `chat.sockets.VisitorPart`s.
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
from chat.consumers.base import (
    CLOSE_FORBIDDEN,
    JsonSocket,
    db,
    header,
    origin_of,
    visitor_db,
)
from chat.consumers.gate import CLOSE_BUSY, retry_frame
from chat.models import Conversation, Message
from chat.selectors import visitor_conversation
from chat.services import conversations as conv_service
from chat.services.messages import SendItem, message_history
from chat.services.visitors import visitor_resume, visitor_token
from chat.sitecache import site_for_handshake
from chat.sockets import visitor_parts
from chat.writer import get_writer
from core import realtime
from core.errors import ServiceError
from core.ratelimit import TokenBucket

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
        self.parts = [part(self) for part in visitor_parts]
        self.part_frames = {
            kind: getattr(part, method)
            for part in self.parts
            for kind, method in part.frames.items()
        }
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
        for part in self.parts:
            await part.closed()
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
        """One trip to the ORM thread: the visitor, and what the socket's parts
        read about them."""
        visitor, created = visitor_resume(
            site=self.site,
            token=token,
            language=self.language,
            user_agent=(header(self.scope, b"user-agent") or "")[:300],
            ip=(self.scope.get("client") or [None])[0],
        )
        for part in self.parts:
            part.load(visitor)
        return visitor, created

    async def _resume(self, token: str | None) -> None:
        self.check_budget()
        visitor, created = await visitor_db(self._resume_visitor)(token)
        self.check_budget()
        # From here on the socket is this visitor's (disconnect undoes all of it).
        self.visitor = visitor
        _local_sockets[visitor.pk] = _local_sockets.get(visitor.pk, 0) + 1
        # Subscribe before reading state, so nothing published in between is missed.
        await self.join(events.visitor_group(self.visitor.pk))
        for part in self.parts:
            await part.resumed()
        snapshot, extra = await visitor_db(self._state)("hello")
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
                **extra,
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
        if (
            self.held_frames is not None
            and text_data is not None
            and len(text_data) <= settings.CHAT["MAX_FRAME_BYTES"]
        ):
            # The resume is still running: a client may send behind `resume`
            # without waiting for `hello` (as before resumes ran as a task).
            # Oversized frames are not held: they get `too_large` at once.
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

    def frame_handler(self, kind: str):
        return super().frame_handler(kind) or self.part_frames.get(kind)

    async def frame_start(self, data: dict):
        visitor = self.require_visitor()
        conversation, _ = await db(conv_service.conversation_start)(visitor=visitor)
        await self.send_conversation(conversation, reason="started")

    async def send_conversation(self, conversation: Conversation, *, reason: str):
        self.remember(conversation)
        snapshot = await db(conv_service.visitor_conversation_snapshot)(conversation)
        await self.send_json(events.conversation_frame(reason, snapshot))

    async def frame_send(self, data: dict):
        visitor = self.require_visitor()
        cid = F.client_id(data)
        body = F.message_body(data)
        if not self.message_bucket.take():
            await self.flood("rate_limited", "You are sending too fast.", cid)
            return
        if self.conversation_id is None or self.status == Conversation.Status.CLOSED:
            conversation, _ = await db(conv_service.conversation_start)(visitor=visitor)
            await self.send_conversation(conversation, reason="started")
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
        await self.send_json(events.ack_frame(cid, result))

    async def frame_typing(self, data: dict):
        self.require_visitor()
        typing = F.req_bool(data, "typing")
        if not self.typing_bucket.take() or not self.conversation_id:
            return
        if self.assignee_id:
            realtime.publish_ephemeral(
                events.agent_group(self.assignee_id),
                events.typing_frame(self.conversation_id, "visitor", typing),
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
        await self.send_conversation(conversation, reason="closed")

    async def frame_sync(self, data: dict):
        """Resync after reconnect: state plus messages after `after_seq`."""
        visitor = self.require_visitor()
        conversation_id = F.req_int(data, "conversation")
        after = F.req_int(data, "after_seq")
        frame = await visitor_db(self._history)(visitor, conversation_id, after)
        await self.send_json(frame)

    def _history(self, visitor, conversation_id: int, after: int) -> dict:
        conversation = visitor_conversation(visitor=visitor, pk=conversation_id)
        if conversation is None:
            raise F.FrameError("not_found", "No such conversation.")
        messages, more = message_history(
            conversation=conversation,
            after_seq=after,
            for_visitor=True,
            limit=settings.CHAT["HISTORY_PAGE"],
        )
        snapshot = conv_service.visitor_conversation_snapshot(conversation)
        return events.history_frame(snapshot, messages, more)

    async def frame_ping(self, data: dict):
        """Heartbeat: the answer carries the latest seq, so a client that missed a
        frame (Redis restart, process death) sees the gap and syncs."""
        self.require_visitor()
        snapshot, extra = await visitor_db(self._state)("pong")
        await self.send_json({"type": "pong", "conversation": snapshot, **extra})

    async def send_resync_pong(self) -> None:
        if getattr(self, "visitor", None) is not None:
            await self.frame_ping({})

    def _state(self, frame: str) -> tuple[dict | None, dict]:
        """The conversation snapshot and the parts' fields of `hello` or `pong`."""
        extra: dict = {}
        for part in self.parts:
            extra.update(part.hello() if frame == "hello" else part.pong())
        return self._snapshot(), extra
