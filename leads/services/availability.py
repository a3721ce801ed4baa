"""Availability of a site or team: opening hours, holidays and closures (the pure
`leads.hours` module), then counselors online and the queue's expected wait.

The widget is told the state in `hello`, in every `pong`, and pushed an
`availability` frame on the site's visitor group whenever it changes: on presence
changes, on queue changes, and at the opening and closing minute (`availability_tick`,
Celery beat). The last state published per site is kept in the cache so processes
publish a change once, not once each.

Two per-process caches (core.cache.LocalCache): each site's schedules, versioned
across processes by `schedule_changed`, and the availability payload of the last
two seconds that every socket's `hello` and `pong` carry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from chat.models import Conversation, CounselorProfile, Site
from chat.services.routing import OPEN_AGENT_STATUSES, presence_cutoff
from core import realtime
from core.cache import LocalCache
from leads import events
from leads.hours import Period, Schedule, open_state
from leads.models import Closure, LeadSettings, OpeningPeriod

log = logging.getLogger(__name__)

SCHEDULE_TTL_SECONDS = 30.0
# How often a process holding a site's schedules asks whether they changed.
SCHEDULE_CHECK_SECONDS = 1.0
RECENT_TTL_SECONDS = 2.0


class _SiteSchedules(LocalCache[int, dict[int | None, Schedule]]):
    """Per site, its schedules by team (None: the site's own), filled as asked."""

    def _version_key(self, key: int) -> str:
        # The counter's name from before LocalCache: processes of either release
        # running side by side during a deploy bump and read the same one.
        return f"leads:schedule-version:{key}"


_schedules = _SiteSchedules(
    "leads:schedule", ttl=SCHEDULE_TTL_SECONDS, check_every=SCHEDULE_CHECK_SECONDS
)
_recent: LocalCache[int, dict] = LocalCache(
    "leads:availability-recent", ttl=RECENT_TTL_SECONDS
)


def lead_settings_for(site: Site) -> LeadSettings:
    """The site's settings, created with defaults on first use."""
    cached: LeadSettings | None = getattr(site, "_lead_settings", None)
    if cached is None:
        cached, _ = LeadSettings.objects.get_or_create(site=site)
        # Kept on the instance for the rest of its request or socket.
        site._lead_settings = cached  # type: ignore[attr-defined]
    return cached


def schedule_load(*, site: Site, team_id: int | None = None) -> Schedule:
    """The schedule of the team (its own periods if it has any, else the site's),
    with the site's and the team's closures. Cached in-process for 30 s; after
    `schedule_changed` bumps the site's version (shared through the cache), every
    process reloads within SCHEDULE_CHECK_SECONDS. While the cache (Redis) is away
    the version is taken as unchanged and the schedule is still reloaded from the
    database every 30 s: PostgreSQL is the record."""
    by_team = _schedules.get(site.pk, dict)
    schedule = by_team.get(team_id)
    if schedule is None:
        schedule = by_team[team_id] = _schedule_read(site=site, team_id=team_id)
    return schedule


def _schedule_read(*, site: Site, team_id: int | None) -> Schedule:
    own = Q(team__isnull=True) if team_id is None else Q(team_id=team_id)
    periods = list(OpeningPeriod.objects.filter(own, site=site))
    if team_id is not None and not periods:
        periods = list(OpeningPeriod.objects.filter(site=site, team__isnull=True))
    closures = Closure.objects.filter(site=site).filter(
        Q(team__isnull=True) | Q(team_id=team_id)
    )
    closed: set[date] = set()
    for closure in closures:
        day = closure.starts_on
        while day <= closure.ends_on and len(closed) < 3660:
            closed.add(day)
            day += timedelta(days=1)
    return Schedule(
        tz=site.zone,
        periods=tuple(Period(p.weekday, p.opens, p.closes) for p in periods),
        closed_dates=frozenset(closed),
        holiday_country=lead_settings_for(site).holiday_country,
    )


def schedule_changed(*, site_id: int) -> None:
    """Opening periods, closures or lead settings of the site changed: every process
    reloads the schedule on its next use, and the widgets hear the new state now.
    After commit: a process reading earlier would cache the old rows as new. With
    the cache (Redis) away, other processes wait out their 30 s."""

    def bump() -> None:
        _schedules.changed(site_id)
        _recent.invalidate(site_id)
        availability_refresh(site_ids=[site_id])

    transaction.on_commit(bump)


def schedule_cache_clear() -> None:
    _schedules.clear()
    _recent.clear()


@dataclass(frozen=True)
class Availability:
    open: bool
    # "open", "closed_hours", "holiday", "closure", "no_hours", "no_counselor",
    # "queue_too_long"
    reason: str
    opens_at: datetime | None
    closes_at: datetime | None
    expected_wait: int | None
    holiday_name: str = ""

    def payload(self) -> dict:
        data = asdict(self)
        for name in ("opens_at", "closes_at"):
            data[name] = data[name].isoformat() if data[name] else None
        return data


def expected_wait_seconds(
    *, queue_length: int, online: int, free_slots: int, handle_seconds: int
) -> int:
    """A newcomer's expected wait: none while a counselor has a free slot, else the
    queue ahead of them shared among the counselors online."""
    if free_slots > queue_length:
        return 0
    if online == 0:
        return handle_seconds * (queue_length + 1)
    return round(handle_seconds * (queue_length - free_slots + 1) / online)


ALL_DAY = time(0, 0)


def _hours_or_always(schedule: Schedule) -> Schedule:
    """A site that has not set opening hours is open whenever counselors are
    (closures still apply; public holidays only to sites that set hours)."""
    if schedule.periods:
        return schedule
    return replace(
        schedule,
        periods=tuple(Period(day, ALL_DAY, ALL_DAY) for day in range(7)),
        holiday_country="",
    )


def site_availability(
    *, site: Site, team_id: int | None = None, now: datetime | None = None
) -> Availability:
    now = now or timezone.now()
    config = lead_settings_for(site)
    schedule = _hours_or_always(schedule_load(site=site, team_id=team_id))
    hours = open_state(schedule, now)
    if not hours.open:
        return Availability(
            False, hours.reason, hours.opens_at, None, None, hours.holiday_name
        )
    counselors = CounselorProfile.objects.filter(
        sites=site,
        status=CounselorProfile.Status.ONLINE,
        last_seen_at__gte=presence_cutoff(now),
    )
    if team_id is not None:
        counselors = counselors.filter(teams=team_id)
    loads = list(
        counselors.annotate(
            open_count=Count(
                "conversations",
                filter=Q(conversations__status__in=OPEN_AGENT_STATUSES),
            )
        ).values_list("max_concurrent", "open_count")
    )
    if not loads and config.offline_when_no_counselor:
        return Availability(False, "no_counselor", None, hours.closes_at, None)
    queued = Conversation.objects.filter(site=site, status=Conversation.Status.QUEUED)
    if team_id is not None:
        queued = queued.filter(team_id=team_id)
    wait = expected_wait_seconds(
        queue_length=queued.count(),
        online=len(loads),
        free_slots=sum(max(0, cap - used) for cap, used in loads),
        handle_seconds=config.average_handle_seconds,
    )
    limit = config.max_expected_wait_seconds
    if limit and wait > limit:
        return Availability(False, "queue_too_long", None, hours.closes_at, wait)
    return Availability(True, "open", None, hours.closes_at, wait)


def availability_payload_peek(site_id: int) -> dict | None:
    """The cached payload if fresh, without touching the database (async callers
    avoid a thread hop when it is there)."""
    return _recent.peek(site_id)


def availability_payload_cached(site: Site) -> dict:
    """For hello and pong (every socket, every heartbeat): computed at most every
    two seconds per site and process. Changes reach sockets by push sooner."""
    return _recent.get(site.pk, lambda: site_availability(site=site).payload())


def _last_key(site_id: int) -> str:
    return f"leads:availability:{site_id}"


def availability_refresh(
    *, site_ids: Iterable[int], now: datetime | None = None
) -> int:
    """Recompute each site's availability and publish `availability` to its
    visitors when it changed since the last publish. Returns how many changed."""
    changed = 0
    for site in Site.objects.filter(pk__in=list(site_ids)):
        state = site_availability(site=site, now=now).payload()
        # The wait estimate moves with every queue change; visitors need the state.
        signature = [state["open"], state["reason"], state["opens_at"]]
        try:
            if cache.get(_last_key(site.pk)) == signature:
                continue
            cache.set(_last_key(site.pk), signature, timeout=None)
        except Exception as exc:
            # Redis away: publish anyway (a repeat is harmless; its push is dropped
            # with Redis down and the widgets read the state from the next pong).
            log.warning("availability not deduplicated, cache unavailable: %s", exc)
        realtime.publish(
            events.site_visitors_group(site.pk),
            {"type": "availability", "availability": state},
        )
        changed += 1
    return changed


def availability_tick(*, now: datetime | None = None) -> int:
    """Beat: catch the opening and closing minutes (and anything missed)."""
    return availability_refresh(
        site_ids=Site.objects.values_list("pk", flat=True), now=now
    )
