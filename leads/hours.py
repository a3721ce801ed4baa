"""Business hours: is a site open now, when does that change, which callbacks to offer.

Pure functions only: no ORM and no clock. Every function takes ``now`` (or a window)
explicitly so callers decide where "now" comes from and tests need no freezing.

Time model. A ``Period`` is a weekly recurring wall-clock span in the schedule's zone.
Each occurrence is built with ``datetime.combine(day, t, tzinfo=tz)`` (``fold=0``) and
converted to UTC; all comparisons happen in UTC. Consequences at DST transitions:

* A wall time inside a spring-forward gap maps the way zoneinfo maps it with
  ``fold=0``, i.e. with the offset in force *before* the gap: in America/New_York on
  2026-03-08, 02:30 means 07:30 UTC (03:30 EDT). A period 01:00-04:00 that day is
  therefore two real hours long; an occurrence that collapses to zero or negative
  length (e.g. 02:30-03:10 that day) is dropped.
* A wall time repeated by a fall-back fold means its first instance (``fold=0``,
  summer time): on 2026-11-01 a period 00:00-03:00 in New York is four real hours.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from types import MappingProxyType
from zoneinfo import ZoneInfo

import holidays

# How far open_state looks for the next opening or closing, and how far intervals()
# follows a chain of back-to-back periods, before giving up.
HORIZON_DAYS = 366

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Period:
    """A weekly span: ``weekday`` 0 = Monday; ``closes <= opens`` runs past midnight
    into the next day, so ``closes == time(0)`` means 24:00."""

    weekday: int
    opens: time
    closes: time

    def __post_init__(self) -> None:
        # Validated here so a bad row fails when the schedule is built, not at lookup.
        if isinstance(self.weekday, bool) or self.weekday not in range(7):
            raise ValueError(f"weekday must be 0..6, got {self.weekday!r}")
        for name in ("opens", "closes"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"{name} must be a naive datetime.time")


@dataclass(frozen=True)
class Schedule:
    """Weekly periods in ``tz``. A period belongs to the local date it starts on and is
    skipped when that date is a public holiday or in ``closed_dates``."""

    tz: ZoneInfo
    periods: tuple[Period, ...]
    closed_dates: frozenset[date] = frozenset()
    holiday_country: str = ""

    def __post_init__(self) -> None:
        # Accept lists/sets from callers building schedules from rows, but keep the
        # instance hashable and immutable.
        object.__setattr__(self, "periods", tuple(self.periods))
        object.__setattr__(self, "closed_dates", frozenset(self.closed_dates))
        if not isinstance(self.tz, tzinfo):
            raise ValueError("tz must be a tzinfo (zoneinfo.ZoneInfo)")
        if self.holiday_country and not _country_supported(self.holiday_country):
            raise ValueError(f"unsupported holiday_country {self.holiday_country!r}")


@dataclass(frozen=True)
class OpenState:
    """Whether a schedule is open at some instant, why, and when that changes."""

    open: bool
    reason: str  # "open" | "closed_hours" | "holiday" | "closure" | "no_hours"
    closes_at: datetime | None
    opens_at: datetime | None
    holiday_name: str = ""


@functools.lru_cache(maxsize=64)
def _country_supported(country: str) -> bool:
    """Cached: listing the supported countries costs ~1 ms per call."""
    return country in holidays.list_supported_countries()


@functools.lru_cache(maxsize=256)
def _holiday_names(country: str, year: int) -> Mapping[date, str]:
    """Holidays of one country-year; cached because building them is slow (~tens of
    ms) and read-only so the shared cache cannot be mutated by callers."""
    return MappingProxyType(dict(holidays.country_holidays(country, years=year)))


def _aware_utc(value: datetime, name: str) -> datetime:
    """Reject naive datetimes: guessing their zone is how off-by-hours bugs start."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def _local_utc(day: date, t: time, tz: tzinfo) -> datetime:
    return datetime.combine(day, t, tzinfo=tz).astimezone(UTC)


def _skip_reason(schedule: Schedule, day: date) -> tuple[str, str]:
    """("holiday", name), ("closure", "") or ("", ""). A holiday wins over a closure
    on the same date because it carries a name to show visitors."""
    if schedule.holiday_country:
        name = _holiday_names(schedule.holiday_country, day.year).get(day)
        if name:
            return "holiday", name
    if day in schedule.closed_dates:
        return "closure", ""
    return "", ""


def _day_periods(schedule: Schedule, day: date) -> list[Period]:
    return [p for p in schedule.periods if p.weekday == day.weekday()]


def _end_day(day: date, p: Period) -> date:
    """The local date ``p`` starting on ``day`` closes on."""
    return day + timedelta(days=1) if p.closes <= p.opens else day


def _occurrences(schedule: Schedule, day: date) -> list[tuple[Period, Interval]]:
    """Periods starting on local ``day`` with their UTC spans, sorted by start."""
    periods = _day_periods(schedule, day)
    if not periods or _skip_reason(schedule, day)[0]:
        return []
    out = []
    for p in periods:
        start = _local_utc(day, p.opens, schedule.tz)
        end = _local_utc(_end_day(day, p), p.closes, schedule.tz)
        if end > start:  # a span squeezed away by a DST gap is not an opening
            out.append((p, (start, end)))
    return sorted(out, key=lambda item: item[1])


def _safe_first(schedule: Schedule, day: date) -> date:
    """The latest date <= ``day`` that no earlier occurrence reaches into, so merging
    from it yields whole intervals (an occurrence ends before the second local
    midnight after its own date; back-to-back days push the boundary back)."""
    for _ in range(HORIZON_DAYS):
        midnight = _local_utc(day, time(0), schedule.tz)
        before = _occurrences(schedule, day - timedelta(days=1))
        if all(end < midnight for _, (_, end) in before):
            break
        day -= timedelta(days=1)
    return day


def _merged(
    schedule: Schedule, first: date, last: date
) -> Iterator[tuple[datetime, datetime, bool]]:
    """Merged spans of occurrences starting on local dates first..last, in order, with
    a flag saying the span is complete (no later date could extend it).

    Lazy, so callers stop as soon as they have what they need. Occurrence starts
    increase across dates (each lies within its own local day), so a span can be
    emitted as soon as an occurrence starts after its end.
    """
    current: Interval | None = None
    day = first
    while day <= last:
        for _, (start, end) in _occurrences(schedule, day):
            if current is not None and start <= current[1]:
                current = (current[0], max(current[1], end))
            else:
                if current is not None:
                    yield current[0], current[1], True
                current = (start, end)
        day += timedelta(days=1)
    if current is not None:
        # Periods starting on last + 1 begin at or after its local midnight.
        cutoff = _local_utc(last + timedelta(days=1), time(0), schedule.tz)
        yield current[0], current[1], current[1] < cutoff


def _local_date(schedule: Schedule, instant: datetime) -> date:
    return instant.astimezone(schedule.tz).date()


def intervals(schedule: Schedule, start: datetime, end: datetime) -> list[Interval]:
    """Open intervals (UTC-aware, sorted, overlapping/adjacent ones merged) intersecting
    [start, end).

    Intervals are not clipped to the window, so an overnight shift that began before
    ``start`` shows whole. Chains of back-to-back periods are followed at most
    HORIZON_DAYS beyond the window on either side (matters only for 24/7 schedules).
    """
    start, end = _aware_utc(start, "start"), _aware_utc(end, "end")
    if end <= start or not schedule.periods:
        return []
    first = _safe_first(schedule, _local_date(schedule, start) - timedelta(days=1))
    last = _local_date(schedule, end) + timedelta(days=HORIZON_DAYS)
    result: list[Interval] = []
    for s, e, _complete in _merged(schedule, first, last):
        if s >= end:
            break
        if e > start:
            result.append((s, e))
    return result


def open_state(schedule: Schedule, now: datetime) -> OpenState:
    """Open or closed at ``now`` (opens <= now < closes), with the next change.

    When closed the reason describes today's local date: "holiday"/"closure" only when
    today has periods that were skipped for that reason; a holiday on a day with no
    periods anyway (e.g. a Saturday) reports "closed_hours". closes_at/opens_at are
    None when no change falls within HORIZON_DAYS (e.g. a 24/7 schedule).
    """
    now = _aware_utc(now, "now")
    if not schedule.periods:
        return OpenState(False, "no_hours", None, None)
    today = _local_date(schedule, now)
    spans = _merged(
        schedule, today - timedelta(days=2), today + timedelta(days=HORIZON_DAYS)
    )
    opens_at: datetime | None = None
    for s, e, complete in spans:
        if e <= now:
            continue
        if s <= now:
            return OpenState(True, "open", e if complete else None, None)
        opens_at = s
        break
    reason, name = _skip_reason(schedule, today)
    if not reason or not _day_periods(schedule, today):
        reason, name = "closed_hours", ""
    return OpenState(False, reason, None, opens_at, name)


def next_change(schedule: Schedule, now: datetime) -> datetime | None:
    """The next instant open_state changes (closes_at when open, opens_at when closed);
    handy for scheduling a status refresh or a cache expiry."""
    state = open_state(schedule, now)
    return state.closes_at if state.open else state.opens_at


def _wall_instants(wall: datetime, tz: tzinfo) -> list[datetime]:
    """UTC instants showing naive ``wall`` on the local clock: fold=0 (a gap time maps
    forward as documented above) plus the second instance of a repeated time, so the
    repeated hour of a fall-back night still offers slots."""
    first = wall.replace(tzinfo=tz).astimezone(UTC)
    second = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if second != first and second.astimezone(tz).replace(tzinfo=None) == wall:
        return [first, second]
    return [first]


def callback_slots(
    schedule: Schedule,
    now: datetime,
    *,
    days: int = 7,
    slot_minutes: int = 30,
    min_lead_minutes: int = 30,
    limit: int = 200,
) -> list[Interval]:
    """Slots of slot_minutes, aligned to local wall clock multiples of slot_minutes from
    the period's opening, lying wholly inside open intervals, starting at or after
    now + min_lead_minutes, within the next `days` local days. UTC-aware.

    "Within the next `days` local days" means the slot starts before local midnight
    at the end of day number `days`, counting today as day 1 (days=1: today only).
    A slot starts inside its own period but may run into a back-to-back one.
    """
    now = _aware_utc(now, "now")
    if slot_minutes < 1 or days < 0 or min_lead_minutes < 0 or limit < 0:
        raise ValueError("slot_minutes must be >= 1; days, lead and limit >= 0")
    step = timedelta(minutes=slot_minutes)
    earliest = now + timedelta(minutes=min_lead_minutes)
    today = _local_date(schedule, now)
    horizon = _local_utc(today + timedelta(days=days), time(0), schedule.tz)
    if earliest >= horizon or limit == 0:
        return []
    spans = intervals(schedule, earliest, horizon)
    found: set[datetime] = set()
    day = today - timedelta(days=1)  # yesterday's overnight periods reach today
    while day < today + timedelta(days=days):
        for p, (p_start, p_end) in _occurrences(schedule, day):
            # Step on the naive wall clock so slots stay on :00/:30 across DST.
            wall = datetime.combine(day, p.opens)
            wall_end = datetime.combine(_end_day(day, p), p.closes)
            while wall < wall_end:
                for t in _wall_instants(wall, schedule.tz):
                    if p_start <= t < p_end and earliest <= t < horizon:
                        if any(s <= t and t + step <= e for s, e in spans):
                            found.add(t)
                wall += step
        day += timedelta(days=1)
    return [(t, t + step) for t in sorted(found)[:limit]]


def slot_offered(
    schedule: Schedule, now: datetime, start: datetime, **kwargs: int
) -> bool:
    """True when `start` is the start of one of callback_slots(schedule, now, **kwargs);
    the server-side check for a slot a visitor picked from an earlier listing."""
    start = _aware_utc(start, "start")
    return any(s == start for s, _ in callback_slots(schedule, now, **kwargs))
