"""Tracking events reach PostgreSQL in batches, on a thread of their own.

Events are not acknowledged to the widget (it does not resend them), so the writer
takes them without waiting: every socket of the process appends to one buffer, and
one flush per FLUSH_SECONDS (or per MAX_BATCH events) inserts them in a single
transaction, records new visits and bumps the profiles' visit counts.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from django.core.cache import cache
from django.db import (
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.db.models import F

from targeting.models import TrackEvent, VisitorProfile, VisitSession
from targeting.tracking import TrackedEvent

log = logging.getLogger(__name__)

FLUSH_SECONDS = 0.1
MAX_BATCH = 2000

Item = tuple[int, int, TrackedEvent]  # (visitor id, site id, event)


def _rows(items: list[Item]) -> tuple[list[TrackEvent], list[VisitSession]]:
    events, sessions = [], []
    for visitor_id, _, event in items:
        data = event.data
        if event.kind == "identify":
            # The signature is spent; keep who and what, not the proof.
            data = {"user_id": data["user_id"], "attrs": data["attrs"]}
        events.append(
            TrackEvent(
                visitor_id=visitor_id,
                session_key=event.session,
                kind=event.kind,
                at=event.at,
                url=event.url,
                data=data,
            )
        )
        if event.kind == "session":
            sessions.append(
                VisitSession(
                    visitor_id=visitor_id,
                    key=event.session,
                    started_at=event.at,
                    last_seen_at=event.at,
                    **{k: v or "" for k, v in data.items() if k != "device"},
                    device=data["device"],
                )
            )
    return events, sessions


def track_store(items: list[Item]) -> None:
    """One transaction: the events, the new visits, the profiles."""
    events, sessions = _rows(items)
    with transaction.atomic():
        TrackEvent.objects.bulk_create(events)
        if sessions:
            known = set(
                VisitSession.objects.filter(
                    visitor_id__in={s.visitor_id for s in sessions},
                    key__in={s.key for s in sessions},
                ).values_list("visitor_id", "key")
            )
            new = {(s.visitor_id, s.key): s for s in sessions}
            fresh = [s for key, s in new.items() if key not in known]
            VisitSession.objects.bulk_create(fresh, ignore_conflicts=True)
            _count_visits(fresh, items)
        _store_identities(items)
        _touch_sessions(items)


def _touch_sessions(items: list[Item]) -> None:
    """Each visit's last activity (the live visitors list reads it)."""
    latest: dict[tuple[int, str], datetime] = {}
    for visitor_id, _, event in items:
        if event.session:
            key = (visitor_id, event.session)
            if key not in latest or event.at > latest[key]:
                latest[key] = event.at
    if not latest:
        return
    if connection.vendor == "postgresql":
        values = ", ".join(["(%s::bigint, %s::varchar, %s::timestamptz)"] * len(latest))
        params: list = []
        for (visitor_id, session), at in latest.items():
            params += [visitor_id, session, at]
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE targeting_visitsession AS s SET last_seen_at = v.at "
                f"FROM (VALUES {values}) AS v(visitor_id, key, at) "
                "WHERE s.visitor_id = v.visitor_id AND s.key = v.key "
                "AND s.last_seen_at < v.at",
                params,
            )
        return
    for (visitor_id, session), at in latest.items():
        VisitSession.objects.filter(
            visitor_id=visitor_id, key=session, last_seen_at__lt=at
        ).update(last_seen_at=at)


def _count_visits(sessions: list[VisitSession], items: list[Item]) -> None:
    site_of = {visitor_id: site_id for visitor_id, site_id, _ in items}
    firsts: dict[int, datetime] = {}
    for session in sessions:
        firsts.setdefault(session.visitor_id, session.started_at)
    existing = set(
        VisitorProfile.objects.filter(visitor_id__in=firsts).values_list(
            "visitor_id", flat=True
        )
    )
    VisitorProfile.objects.bulk_create(
        [
            VisitorProfile(
                visitor_id=v, site_id=site_of[v], first_visit_at=at, last_visit_at=at
            )
            for v, at in firsts.items()
            if v not in existing
        ],
        ignore_conflicts=True,
    )
    for session in sessions:
        VisitorProfile.objects.filter(visitor_id=session.visitor_id).update(
            visits=F("visits") + 1, last_visit_at=session.started_at
        )


def _store_identities(items: list[Item]) -> None:
    for visitor_id, site_id, event in items:
        if event.kind != "identify":
            continue
        profile, _ = VisitorProfile.objects.get_or_create(
            visitor_id=visitor_id, defaults={"site_id": site_id}
        )
        profile.user_id = event.data["user_id"]
        profile.crm = {**profile.crm, **event.data["attrs"]}
        profile.crm_at = event.at
        profile.save(update_fields=["user_id", "crm", "crm_at"])


def _store(items: list[Item]) -> None:
    """One batch; a broken connection is replaced and the batch retried once."""
    try:
        track_store(items)
    except (OperationalError, InterfaceError):
        log.warning("tracking writer connection failed; retrying", exc_info=True)
        connections["default"].close()
        track_store(items)


def _store_isolated(items: list[Item]) -> int:
    """Store `items`; how many the database refused. A refused batch (one event
    that slipped past validation, a visitor erased while their events were
    buffered) is split in halves, each stored on its own, down to the events at
    fault: they alone are dropped, every other event is stored."""
    try:
        _store(items)
        return 0
    except (OperationalError, InterfaceError):
        raise  # the database is away: the batch is lost (logged by the caller)
    except Exception:
        if len(items) == 1:
            log.warning("the database refused a tracking event", exc_info=True)
            return 1
        half = len(items) // 2
        return _store_isolated(items[:half]) + _store_isolated(items[half:])


def _write(items: list[Item]) -> None:
    refused = _store_isolated(items)
    counters_add({"accepted": len(items) - refused, "refused": refused})


COUNTERS = ("accepted", "refused")


def counter_key(name: str) -> str:
    return f"targeting:events:{name}"


def counters_add(counts: dict[str, int]) -> None:
    """Events accepted and refused, summed over every process (the cache, Redis)."""
    for name, n in counts.items():
        if not n:
            continue
        try:
            cache.incr(counter_key(name), n)
        except ValueError:
            cache.add(counter_key(name), 0, timeout=None)
            cache.incr(counter_key(name), n)


def counters() -> dict[str, int]:
    return {name: cache.get(counter_key(name), 0) for name in COUNTERS}


class TrackWriter:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.buffer: list[Item] = []
        self.refused = 0
        self.flushing: asyncio.Task | None = None
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="track-writer")

    def put(
        self,
        visitor_id: int,
        site_id: int,
        events: list[TrackedEvent],
        *,
        refused: int = 0,
    ) -> None:
        self.buffer.extend((visitor_id, site_id, event) for event in events)
        self.refused += refused
        if self.flushing is None:
            self.flushing = self.loop.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        try:
            while self.buffer or self.refused:
                await asyncio.sleep(FLUSH_SECONDS)
                refused, self.refused = self.refused, 0
                if refused:
                    await self.loop.run_in_executor(
                        self.executor, counters_add, {"refused": refused}
                    )
                while self.buffer:
                    batch = self.buffer[:MAX_BATCH]
                    del self.buffer[:MAX_BATCH]
                    try:
                        await self.loop.run_in_executor(self.executor, _write, batch)
                    except Exception:
                        log.exception("lost a tracking batch of %d events", len(batch))
        finally:
            self.flushing = None

    async def drain(self) -> None:
        """Until everything buffered is stored (tests, shutdown)."""
        while self.flushing is not None:
            await asyncio.shield(self.flushing)

    def close(self) -> None:
        self.executor.submit(connections.close_all).result()
        self.executor.shutdown(wait=True)


_writers: dict[asyncio.AbstractEventLoop, TrackWriter] = {}


def get_track_writer() -> TrackWriter:
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = TrackWriter(loop)
    return writer


def close_track_writers() -> None:
    for loop, writer in list(_writers.items()):
        writer.close()
        del _writers[loop]
