"""Behaviour events from the widget, by socket (`targeting/sockets.py`) or beacon
(`targeting/public.py`): checked, stored in batches, applied to the live snapshot."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from chat.models import Site, Visitor
from chat.services.visitors import visitor_from_token
from core.errors import ServiceError
from targeting import live
from targeting.services.identify import identify_verify
from targeting.tracking import BadEvent, TrackedEvent
from targeting.writer import track_store


def events_verify(
    *, site: Site, events: Iterable[tuple[int, TrackedEvent]], now: datetime
) -> tuple[list[TrackedEvent], list[tuple[int, str]]]:
    """Split parsed events into accepted ones and refused `(index, reason)`: an
    `identify` must carry the site's valid signature (checked against real time)."""
    accepted: list[TrackedEvent] = []
    refused: list[tuple[int, str]] = []
    for index, event in events:
        if event.kind == "identify":
            try:
                identify_verify(site=site, data=event.data, now=now)
            except BadEvent as exc:
                refused.append((index, str(exc)))
                continue
        accepted.append(event)
    return accepted, refused


def beacon_visitor(*, site: Site, token: object) -> Visitor:
    """The beacon's visitor, by the widget's token. Raises
    ServiceError("unknown_visitor")."""
    visitor = (
        visitor_from_token(site=site, token=token)
        if isinstance(token, str) and len(token) <= 400
        else None
    )
    if visitor is None:
        raise ServiceError("unknown_visitor", "Unknown visitor.")
    return visitor


def beacon_accept(
    *,
    site: Site,
    visitor: Visitor,
    events: list[tuple[int, TrackedEvent]],
    now: datetime,
) -> list[tuple[int, str]]:
    """A beacon's events (the page is going away): stored, and applied to the
    visitor's live snapshot if a socket of theirs is still here. Returns the refused
    events."""
    accepted, refused = events_verify(site=site, events=events, now=now)
    if accepted:
        track_store([(visitor.pk, site.pk, event) for event in accepted])
        entry = live.live_get(visitor.pk)
        if entry is not None:  # a socket of theirs is still here: keep it current
            live.live_apply(entry, accepted)
    return refused
