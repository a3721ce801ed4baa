"""targeting on chat's visitor socket (chat/sockets.py): the visitor's live snapshot,
behaviour tracking, rule evaluation (targeting/runtime.py) and answers to offers."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from chat.consumers import frames as F
from chat.consumers.base import db
from chat.models import Conversation
from chat.sockets import VisitorPart, register_visitor_part
from core.ratelimit import TokenBucket
from targeting import clock, live
from targeting.runtime import Targeter
from targeting.services.tracking import events_verify
from targeting.tracking import BadEvent, parse_events
from targeting.writer import get_track_writer


class TargetingPart(VisitorPart):
    frames = {"track": "frame_track", "offer_response": "frame_offer_response"}

    def __init__(self, socket) -> None:
        super().__init__(socket)
        self.event_bucket = TokenBucket(*settings.CHAT["VISITOR_EVENT_RATE"])
        self.loaded = None
        self.live = None
        self.targeter: Targeter | None = None

    # What the Targeter reads of its socket.
    @property
    def site(self):
        return self.socket.site

    @property
    def visitor(self):
        return self.socket.visitor

    async def send_json(self, frame: dict) -> None:
        await self.socket.send_json(frame)

    def load(self, visitor) -> None:
        # The snapshot is read only when this process holds none for the visitor.
        if live.live_get(visitor.pk) is None:
            self.loaded = live.snapshot_load(
                visitor=visitor, site=self.socket.site, now=clock.now()
            )

    async def resumed(self) -> None:
        self.live = live.live_attach(self.socket.visitor.pk, self.loaded)
        self.loaded = None
        self.targeter = Targeter(self)

    async def closed(self) -> None:
        if self.live is not None:
            live.live_detach(self.socket.visitor.pk)
        if self.targeter is not None:
            self.targeter.close()

    async def frame_track(self, data: dict) -> None:
        """Behaviour events: applied to the live snapshot at once, stored in
        batches. No answer; each refused event gets a `bad_event` error."""
        socket = self.socket
        visitor = socket.require_visitor()
        site = socket.site
        try:
            events, refused = parse_events(data.get("events"), now=clock.now())
        except BadEvent as exc:
            get_track_writer().put(visitor.pk, site.pk, [], refused=1)
            raise F.FrameError("bad_event", str(exc)) from None
        if not self.event_bucket.take(len(events) or 1):
            await socket.flood("rate_limited", "Too many events; slow down.", "track")
            return
        if any(event.kind == "identify" for _, event in events):
            # The signature check reads the site's secret: one trip for the frame.
            accepted, unsigned = await db(events_verify)(
                site=site, events=events, now=timezone.now()
            )
            refused += unsigned
        else:
            accepted = [event for _, event in events]
        for index, message in sorted(refused):
            await socket.send_json(
                {"type": "error", "code": "bad_event", "message": message,
                 "index": index}
            )  # fmt: skip
        if accepted or refused:
            get_track_writer().put(visitor.pk, site.pk, accepted, refused=len(refused))
        if accepted:
            live.live_apply(self.live, accepted)
            await self.targeter.on_events({event.kind for event in accepted})

    async def frame_offer_response(self, data: dict) -> None:
        """The visitor accepted or rejected the offer on screen."""
        self.socket.require_visitor()
        offer_id = F.req_int(data, "offer")
        outcome = data.get("outcome")
        if outcome not in ("accepted", "rejected"):
            raise F.FrameError("bad_field", "'outcome' must be accepted or rejected.")
        offer = await self.targeter.answer(offer_id, outcome)
        if offer.conversation_id:
            conversation = await db(Conversation.objects.get)(pk=offer.conversation_id)
            await self.socket.send_conversation(conversation, reason="started")


def register() -> None:
    register_visitor_part(TargetingPart)
