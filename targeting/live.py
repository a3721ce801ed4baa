"""The live state of visitors connected to this process: one snapshot per visitor,
shared by their sockets here, updated in memory on every tracking event.

A snapshot is rebuilt from the record (the last RETAIN of stored events, the
profile's CRM attributes) when a visitor's first socket resumes, and kept for
KEEP_AFTER_CLOSE after their last socket closes, so a page navigation (close, then
resume at once) finds it warm, including events still in the writer's buffer.

Attaching the first socket and detaching the last also mark the visitor present or
gone for every process (targeting.presence): the warm snapshot is not presence.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import timedelta

from chat.models import Site, Visitor
from targeting.engine.snapshot import Snapshot
from targeting.models import TrackEvent, VisitorProfile
from targeting.presence import presence
from targeting.tracking import TrackedEvent, _crm_for_engine, apply

RETAIN = timedelta(days=30)
MAX_REPLAY = 1000
KEEP_AFTER_CLOSE = 60.0


@dataclass(slots=True)
class LiveVisitor:
    snapshot: Snapshot
    sockets: int = 0
    released_at: float = 0.0


_live: dict[int, LiveVisitor] = {}


def snapshot_load(*, visitor: Visitor, site: Site, now) -> Snapshot:
    """The visitor's snapshot from the record (sync: runs on a DB thread)."""
    profile = VisitorProfile.objects.filter(visitor=visitor).first()
    snapshot = Snapshot(
        now=now,
        tz=site.zone,
        visits=profile.visits if profile else 0,
        returning=bool(profile and profile.visits),
        crm=_crm_for_engine(profile.crm) if profile else {},
    )
    rows = list(
        TrackEvent.objects.filter(visitor=visitor, at__gte=now - RETAIN)
        .exclude(kind=TrackEvent.Kind.IDENTIFY)
        .order_by("-at", "-id")
        .values_list("kind", "at", "session_key", "url", "data")[:MAX_REPLAY]
    )
    sessions_seen = 0
    for kind, at, session, url, data in reversed(rows):
        if kind == "session":
            sessions_seen += 1
        snapshot = apply(snapshot, TrackedEvent(kind, at, session, url, data))
    # Replayed sessions were counted by the profile already.
    visits = profile.visits if profile else sessions_seen
    return replace(snapshot, now=now, visits=visits).pruned(RETAIN)


def live_get(visitor_id: int) -> LiveVisitor | None:
    return _live.get(visitor_id)


def live_attach(visitor_id: int, loaded: Snapshot | None) -> LiveVisitor:
    """A socket of the visitor resumed here. `loaded` is used only when the visitor
    is not live in this process already."""
    entry = _live.get(visitor_id)
    if entry is None:
        assert loaded is not None
        entry = _live[visitor_id] = LiveVisitor(loaded)
    entry.sockets += 1
    if entry.sockets == 1:
        presence.enter(visitor_id)  # on every process's Live visitors from now
    return entry


def live_detach(visitor_id: int) -> None:
    entry = _live.get(visitor_id)
    if entry is None:
        return
    was = entry.sockets
    entry.sockets = max(0, entry.sockets - 1)
    if entry.sockets == 0:
        entry.released_at = time.monotonic()
        if was:
            presence.leave(visitor_id)  # their last socket here: off the list
    _expire()


def _expire() -> None:
    cutoff = time.monotonic() - KEEP_AFTER_CLOSE
    for visitor_id in [
        v for v, e in _live.items() if e.sockets == 0 and e.released_at < cutoff
    ]:
        del _live[visitor_id]


def live_apply(entry: LiveVisitor, events: list[TrackedEvent]) -> Snapshot:
    snapshot = entry.snapshot
    for event in events:
        snapshot = apply(snapshot, event)
    entry.snapshot = snapshot
    return snapshot


def live_count() -> int:
    return len(_live)
