"""Leaves over the site's wall clock: time of day and weekday, in ``Snapshot.tz``.
Their ``wake_at`` is the next boundary on that clock, given in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from targeting.engine.conditions_base import Leaf
from targeting.engine.conditions_page import Builder
from targeting.engine.conditions_values import (
    RuleError,
    as_str,
    check_keys,
    required,
)

if TYPE_CHECKING:
    from targeting.engine.snapshot import Snapshot

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ONE_DAY = timedelta(days=1)


def midnight(day: date, tz: tzinfo) -> datetime:
    """The start of ``day`` in ``tz``, as UTC (cheap to compare with a UTC ``now``)."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _clock(value: Any, path: str) -> time:
    text = as_str(value, path)
    if text == "24:00":
        return time(0)
    try:
        if len(text) not in (5, 8):
            raise ValueError
        return time.fromisoformat(text)
    except ValueError:
        raise RuleError(
            path, f"expected a time like '21:00' or '09:30:00', got {text!r}"
        ) from None


class TimeOfDayLeaf(Leaf):
    """``start <= local time < end``; when ``end <= start`` the range wraps midnight."""

    __slots__ = ("start", "end", "wraps")

    def __init__(self, path: str, start: time, end: time) -> None:
        super().__init__(path, "time_of_day", frozenset({"page_view"}), time_based=True)
        self.start, self.end, self.wraps = start, end, end <= start

    def test(self, s: Snapshot) -> bool:
        t = s.local.time()
        if self.wraps:
            return t >= self.start or t < self.end
        return self.start <= t < self.end

    def wake(self, s: Snapshot, value: bool) -> datetime | None:
        local = s.local
        t, today = local.time(), local.date()
        # The next start or end on the wall clock, whichever comes first (datetimes
        # sharing a tzinfo compare as wall times: cheap), then as UTC.
        best: datetime | None = None
        for b in (self.start, self.end):
            day = today if b > t else today + ONE_DAY
            candidate = datetime.combine(day, b, tzinfo=s.tz)
            if best is None or candidate < best:
                best = candidate
        assert best is not None
        wake = best.astimezone(UTC)
        return wake if wake > s.now else None

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        expected = f"{self.start:%H:%M}-{self.end:%H:%M}"
        return f"time of day ({s.tz})", f"{s.local:%H:%M}", expected


def _time_of_day(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, ("field", "from", "to"))
    start = _clock(required(d, "from", path), f"{path}.from")
    end = _clock(required(d, "to", path), f"{path}.to")
    if start == end:
        raise RuleError(f"{path}.to", "'from' and 'to' are equal: an empty range")
    return TimeOfDayLeaf(path, start, end)


class WeekdayLeaf(Leaf):
    __slots__ = ("days",)

    def __init__(self, path: str, days: frozenset[int]) -> None:
        super().__init__(path, "weekday", frozenset({"page_view"}), time_based=True)
        self.days = days

    def test(self, s: Snapshot) -> bool:
        return s.local.weekday() in self.days

    def wake(self, s: Snapshot, value: bool) -> datetime | None:
        today = s.local.date()
        for k in range(1, 8):
            day = today + timedelta(days=k)
            if (day.weekday() in self.days) is not value:
                return midnight(day, s.tz)
        return None

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        names = ", ".join(WEEKDAYS[i] for i in sorted(self.days))
        return f"weekday ({s.tz})", WEEKDAYS[s.local.weekday()], f"one of {names}"


def _weekday(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, ("field", "in"))
    raw = required(d, "in", path)
    items = raw if isinstance(raw, list) else [raw]
    if not items:
        raise RuleError(f"{path}.in", "expected at least one weekday")
    days = set()
    for i, v in enumerate(items):
        p = f"{path}.in[{i}]" if isinstance(raw, list) else f"{path}.in"
        if isinstance(v, str) and v.lower()[:3] in WEEKDAYS:
            days.add(WEEKDAYS.index(v.lower()[:3]))
        elif isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 6:
            days.add(v)
        else:
            raise RuleError(p, f"expected mon..sun or 0..6 (0 = Monday), got {v!r}")
    return WeekdayLeaf(path, frozenset(days))


BUILDERS: dict[str, Builder] = {"time_of_day": _time_of_day, "weekday": _weekday}
