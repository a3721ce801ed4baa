"""Parsing and validating the values inside a condition: durations, numeric bounds,
windows. Everything raises ``RuleError(path, message)`` with the JSON path of the
offending value, so a rule editor can point at it. Strings and regexes are in
``conditions_text``.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any

from targeting.engine.snapshot import at_of

if TYPE_CHECKING:
    from targeting.engine.snapshot import Snapshot

MAX_DURATION = 400 * 86400  # longest window or threshold: past any retention period
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "mo": 30 * 86400}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(mo|s|m|h|d|w)")
EPSILON = timedelta(microseconds=1)  # datetime resolution: "just after" an instant


class RuleError(ValueError):
    """A condition that cannot be compiled; ``path`` is a JSON path like
    ``$.all[1].within``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def check_keys(d: Mapping[str, Any], path: str, allowed: Sequence[str]) -> None:
    for key in d:
        if key not in allowed:
            hint = get_close_matches(str(key), allowed, n=1)
            tip = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise RuleError(
                f"{path}.{key}",
                f"unknown key {key!r}{tip}; expected one of {', '.join(allowed)}",
            )


def required(d: Mapping[str, Any], key: str, path: str) -> Any:
    if key not in d:
        raise RuleError(path, f"missing {key!r}")
    return d[key]


def as_str(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value:
        raise RuleError(path, f"expected a non-empty string, got {value!r}")
    return value


def as_str_set(value: Any, path: str) -> frozenset[str]:
    """One string or a non-empty list of strings."""
    if isinstance(value, str):
        return frozenset({as_str(value, path)})
    if not isinstance(value, list) or not value:
        raise RuleError(path, f"expected a string or a list of strings, got {value!r}")
    return frozenset(as_str(v, f"{path}[{i}]") for i, v in enumerate(value))


def as_bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise RuleError(path, f"expected true or false, got {value!r}")
    return value


def as_number(value: Any, path: str) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
    ):
        raise RuleError(path, f"expected a number, got {value!r}")
    return value


def as_int(value: Any, path: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise RuleError(path, f"expected an integer >= {minimum}, got {value!r}")
    return value


def parse_duration(value: Any, path: str, *, allow_zero: bool = False) -> float:
    """Seconds from a number of seconds or a string: "90s", "10m", "1h", "7d", "2w",
    "6mo" (a month is 30 days)."""
    expected = "a duration (seconds, or a string like '90s', '10m', '1h', '7d', '6mo')"
    if isinstance(value, str):
        m = _DURATION.fullmatch(value.strip().lower())
        if m is None:
            raise RuleError(path, f"bad duration {value!r}: expected {expected}")
        seconds = float(m.group(1)) * UNITS[m.group(2)]
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise RuleError(path, f"bad duration {value!r}: expected {expected}")
    if not math.isfinite(seconds) or seconds < 0 or (seconds == 0 and not allow_zero):
        raise RuleError(path, f"bad duration {value!r}: must be positive")
    if seconds > MAX_DURATION:
        raise RuleError(path, f"bad duration {value!r}: longer than 400 days")
    return seconds


def format_duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{fmt_number(seconds)}s"


class Bounds:
    """A numeric range from ``gte``/``min``, ``gt``, ``lte``/``max``, ``lt``, ``eq``."""

    __slots__ = ("lo", "lo_incl", "hi", "hi_incl", "fmt")

    def __init__(
        self,
        lo: float | None,
        lo_incl: bool,
        hi: float | None,
        hi_incl: bool,
        fmt: Callable[[float], str],
    ) -> None:
        self.lo, self.lo_incl, self.hi, self.hi_incl = lo, lo_incl, hi, hi_incl
        self.fmt = fmt

    def test(self, x: float) -> bool:
        lo = self.lo
        if lo is not None and (x < lo or (x == lo and not self.lo_incl)):
            return False
        hi = self.hi
        return hi is None or x < hi or (x == hi and self.hi_incl)

    def describe(self) -> str:
        lo, hi, f = self.lo, self.hi, self.fmt
        if lo is not None and lo == hi:
            return f"= {f(lo)}"
        if lo is not None and hi is not None and self.lo_incl and self.hi_incl:
            return f"between {f(lo)} and {f(hi)}"
        parts = []
        if lo is not None:
            parts.append(f"{'>=' if self.lo_incl else '>'} {f(lo)}")
        if hi is not None:
            parts.append(f"{'<=' if self.hi_incl else '<'} {f(hi)}")
        return " and ".join(parts)

    def flip_count_down(self, count: int, value: bool) -> int | None:
        """As a count falls one by one from ``count`` (events leaving their window),
        the first count at which ``test`` stops returning ``value``; None if never."""
        if value:
            if self.lo is None:
                return None
            n = math.ceil(self.lo) - 1 if self.lo_incl else math.floor(self.lo)
            return n if 0 <= n < count else None
        if self.hi is None:
            return None
        n = math.floor(self.hi) if self.hi_incl else math.ceil(self.hi) - 1
        return n if 0 <= n < count and self.test(n) else None

    def elapsed_edges(self) -> tuple[timedelta, ...]:
        """For a duration growing from some base instant: the offsets from the base
        at which ``test`` changes, ascending."""
        edges = []
        if self.lo is not None:
            t = timedelta(seconds=self.lo)
            edges.append(t if self.lo_incl else t + EPSILON)
        if self.hi is not None:
            t = timedelta(seconds=self.hi)
            edges.append(t + EPSILON if self.hi_incl else t)
        return tuple(sorted(edges))


BOUND_KEYS = ("gte", "min", "gt", "lte", "max", "lt", "eq")


def fmt_number(x: float) -> str:
    """Plain digits, never exponent notation: 3500000, 49000.5."""
    if isinstance(x, int) or x.is_integer():
        return str(int(x))
    return f"{x:.15g}" if abs(x) < 1e15 else f"{x:f}"


def parse_bounds(
    d: Mapping[str, Any],
    path: str,
    *,
    duration: bool = False,
    default_min: float | None = None,
    allow_eq: bool = True,
) -> Bounds:
    """Bounds from the keys of ``d``; ``min``/``max`` are ``gte``/``lte``."""

    def value(key: str) -> float:
        p = f"{path}.{key}"
        return (
            parse_duration(d[key], p, allow_zero=True)
            if duration
            else as_number(d[key], p)
        )

    present = [k for k in BOUND_KEYS if k in d]
    if "eq" in present:
        if not allow_eq:
            raise RuleError(f"{path}.eq", "'eq' is not allowed here; use a range")
        if len(present) > 1:
            raise RuleError(f"{path}.eq", "'eq' cannot be combined with other bounds")
    lows = [k for k in present if k in ("gte", "min", "gt")]
    highs = [k for k in present if k in ("lte", "max", "lt")]
    for group in (lows, highs):
        if len(group) > 1:
            raise RuleError(f"{path}.{group[1]}", f"conflicts with {group[0]!r}")
    fmt = format_duration if duration else fmt_number
    if "eq" in present:
        v = value("eq")
        return Bounds(v, True, v, True, fmt)
    if not present:
        if default_min is None:
            raise RuleError(path, "needs a bound: one of gte/min, gt, lte/max, lt")
        return Bounds(default_min, True, None, True, fmt)
    lo = value(lows[0]) if lows else None
    hi = value(highs[0]) if highs else None
    lo_incl = not lows or lows[0] != "gt"
    hi_incl = not highs or highs[0] != "lt"
    if (
        lo is not None
        and hi is not None
        and (lo > hi or (lo == hi and not (lo_incl and hi_incl)))
    ):
        lo_text, hi_text = fmt(lo), fmt(hi)
        raise RuleError(
            path, f"empty range: {lows[0]} {lo_text} and {highs[0]} {hi_text}"
        )
    return Bounds(lo, lo_incl, hi, hi_incl, fmt)


class Window:
    """Which events count: the last N seconds, this session, or all retained history."""

    __slots__ = ("kind", "delta", "text")

    def __init__(self, kind: str, seconds: float = 0.0) -> None:
        self.kind = kind
        self.delta = timedelta(seconds=seconds)
        self.text = {
            "duration": f"in the last {format_duration(seconds)}",
            "session": "this session",
            "all": "in the retained history",
        }[kind]

    def start(self, items: Sequence[tuple[Any, ...]], s: Snapshot) -> int:
        """Index of the first item inside the window (items sorted by instant)."""
        if self.kind == "duration":
            return bisect_right(items, s.now - self.delta, key=at_of)
        if self.kind == "session" and s.session.started_at is not None:
            return bisect_left(items, s.session.started_at, key=at_of)
        return 0

    def start_in_times(self, times: Sequence[datetime], s: Snapshot) -> int:
        if self.kind == "duration":
            return bisect_right(times, s.now - self.delta)
        if self.kind == "session" and s.session.started_at is not None:
            return bisect_left(times, s.session.started_at)
        return 0


def parse_window(value: Any, path: str) -> Window:
    if value is None:
        return Window("all")
    if value == "session":
        return Window("session")
    return Window("duration", parse_duration(value, path))


def count_wake(
    times: Sequence[datetime],
    bounds: Bounds,
    value: bool,
    window: Window,
    start: int = 0,
) -> datetime | None:
    """When a windowed count over ``times[start:]`` (the in-window instants,
    ascending) flips ``value`` as the oldest of them leave the window."""
    if window.kind != "duration":
        return None
    count = len(times) - start
    n = bounds.flip_count_down(count, value)
    return None if n is None else times[start + count - n - 1] + window.delta
