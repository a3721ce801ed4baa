"""Leaves over CRM attributes (from a verified identify call).

Dates compare by calendar day in the site's zone (``Snapshot.tz``): relative ones
("within the next 7 days") change at local midnight, when their ``wake_at`` falls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from targeting.engine.conditions_base import Leaf
from targeting.engine.conditions_calendar import midnight
from targeting.engine.conditions_page import Builder, show
from targeting.engine.conditions_values import (
    RuleError,
    as_bool,
    as_int,
    as_number,
    as_str,
    check_keys,
    fmt_number,
    required,
)

if TYPE_CHECKING:
    from targeting.engine.snapshot import CrmValue, Snapshot

IDENTIFY = frozenset({"page_view", "identify"})


def as_date(value: CrmValue, tz: tzinfo) -> date | None:
    """A CRM value as a calendar day: a date, an aware datetime's local day, or an
    ISO string ("2025-06-30", "2025-06-30T09:00:00+09:00")."""
    if isinstance(value, datetime):
        return value.astimezone(tz).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            try:
                return as_date(datetime.fromisoformat(value), tz)
            except ValueError:
                return None
    return None


def _iso_date(value: Any) -> date | None:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _same(attr: CrmValue, want: Any, want_date: date | None, tz: tzinfo) -> bool:
    if isinstance(attr, bool) or isinstance(want, bool):
        return attr is want  # True must not equal 1 (nor "true")
    if want_date is not None and isinstance(attr, date):
        return as_date(attr, tz) == want_date
    return bool(attr == want)


_SCALAR = (str, int, float, bool, type(None))
CMP_OPS = ("eq", "ne", "in", "not_in", "lt", "lte", "gt", "gte", "contains", "exists")
DATE_OPS = ("within_next_days", "within_last_days", "before", "after")


class CrmLeaf(Leaf):
    __slots__ = ("attr", "op", "value", "day", "fn", "expected")

    def __init__(
        self,
        path: str,
        attr: str,
        op: str,
        value: Any,
        fn: Callable[[CrmValue, Snapshot], bool],
        expected: str,
    ) -> None:
        relative = op in ("within_next_days", "within_last_days") or (
            op in ("before", "after") and isinstance(value, int)
        )
        super().__init__(path, "crm", IDENTIFY, time_based=relative)
        self.attr, self.op, self.value, self.fn = attr, op, value, fn
        self.expected = expected

    def test(self, s: Snapshot) -> bool:
        return self.fn(s.crm.get(self.attr), s)

    def wake(self, s: Snapshot, value: bool) -> datetime | None:
        d = as_date(s.crm.get(self.attr), s.tz)
        if d is None:
            return None
        today = s.local.date()
        n, op = self.value, self.op
        if op == "within_next_days":  # true while d - n <= today <= d
            flip = d + timedelta(days=1) if value else d - timedelta(days=n)
        elif op == "within_last_days":  # true while d <= today <= d + n
            flip = d + timedelta(days=n + 1) if value else d
        elif op == "before":  # d < today + n, i.e. today > d - n: only becomes true
            flip = d - timedelta(days=n - 1)
        else:  # after: d > today + n, i.e. today < d - n: only becomes false
            flip = d - timedelta(days=n)
        return midnight(flip, s.tz) if flip > today else None

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        raw = s.crm.get(self.attr)
        actual = "missing" if self.attr not in s.crm else show(raw)
        d = as_date(raw, s.tz) if self.op in DATE_OPS else None
        if d is not None:
            days = (d - s.local.date()).days
            actual += f" ({'in ' + str(days) if days >= 0 else str(-days)} days"
            actual += ")" if days >= 0 else " ago)"
        return f"CRM {self.attr}", actual, self.expected


def _crm(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, ("field", "attr", "op", "value"))
    attr = as_str(required(d, "attr", path), f"{path}.attr")
    op = required(d, "op", path)
    if op not in CMP_OPS + DATE_OPS:
        raise RuleError(
            f"{path}.op",
            f"unknown op {op!r}; expected one of {', '.join(CMP_OPS + DATE_OPS)}",
        )
    vpath = f"{path}.value"
    raw = d.get("value", True) if op == "exists" else required(d, "value", path)
    fn: Callable[[CrmValue, Snapshot], bool]
    if op in ("eq", "ne"):
        if not isinstance(raw, _SCALAR):
            raise RuleError(
                vpath, f"expected a string, number, boolean or null, got {raw!r}"
            )
        raw_day = _iso_date(raw)
        if op == "eq":
            fn = lambda a, s: _same(a, raw, raw_day, s.tz)  # noqa: E731
        else:
            fn = lambda a, s: not _same(a, raw, raw_day, s.tz)  # noqa: E731
        return CrmLeaf(
            path, attr, op, raw, fn, f"{'=' if op == 'eq' else '!='} {show(raw)}"
        )
    if op in ("in", "not_in"):
        if not isinstance(raw, list) or not raw:
            raise RuleError(vpath, f"expected a non-empty list, got {raw!r}")
        for i, v in enumerate(raw):
            if not isinstance(v, _SCALAR):
                raise RuleError(f"{vpath}[{i}]", f"expected a scalar, got {v!r}")
        pairs = [(v, _iso_date(v)) for v in raw]
        negate = op == "not_in"

        def fn(a: CrmValue, s: Snapshot) -> bool:
            return any(_same(a, v, dv, s.tz) for v, dv in pairs) is not negate

        words = "none of" if negate else "one of"
        return CrmLeaf(path, attr, op, raw, fn, f"{words} {', '.join(map(show, raw))}")
    if op in ("lt", "lte", "gt", "gte"):
        cmp = _COMPARE[op]
        sign = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[op]
        day = _iso_date(raw)
        if day is not None:
            fn = lambda a, s: (x := as_date(a, s.tz)) is not None and cmp(x, day)  # noqa: E731
            return CrmLeaf(path, attr, op, raw, fn, f"{sign} {day}")
        num = as_number(raw, vpath) if not isinstance(raw, str) else None
        if num is None:
            raise RuleError(vpath, f"expected a number or an ISO date, got {raw!r}")
        fn = lambda a, s: _is_number(a) and cmp(a, num)  # noqa: E731
        return CrmLeaf(path, attr, op, raw, fn, f"{sign} {fmt_number(num)}")
    if op == "contains":
        text = as_str(raw, vpath)
        fn = lambda a, s: isinstance(a, str) and text in a  # noqa: E731
        return CrmLeaf(path, attr, op, raw, fn, f"contains {text!r}")
    if op == "exists":
        want = as_bool(raw, vpath)
        fn = lambda a, s: (a is not None) is want  # noqa: E731
        return CrmLeaf(path, attr, op, want, fn, "present" if want else "absent")
    return _crm_date(path, attr, op, raw, vpath)


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
}


def _crm_date(path: str, attr: str, op: str, raw: Any, vpath: str) -> Leaf:
    fn: Callable[[CrmValue, Snapshot], bool]
    if op in ("within_next_days", "within_last_days"):
        n = as_int(raw, vpath)
        sign = 1 if op == "within_next_days" else -1

        def fn(a: CrmValue, s: Snapshot) -> bool:
            d = as_date(a, s.tz)
            return d is not None and 0 <= sign * (d - s.local.date()).days <= n

        words = "next" if sign == 1 else "last"
        return CrmLeaf(path, attr, op, n, fn, f"within the {words} {n} days")
    # before / after: an ISO date, or days from today (0 today, -30 a month ago)
    day = _iso_date(raw)
    if day is None and (isinstance(raw, bool) or not isinstance(raw, int)):
        raise RuleError(
            vpath, f"expected an ISO date or a number of days from today, got {raw!r}"
        )
    after = op == "after"

    def compare(a: CrmValue, s: Snapshot) -> bool:
        d = as_date(a, s.tz)
        if d is None:
            return False
        ref = day if day is not None else s.local.date() + timedelta(days=raw)
        return d > ref if after else d < ref

    ref_text = str(day) if day is not None else _relative_day(raw)
    value = raw if day is None else day
    return CrmLeaf(path, attr, op, value, compare, f"{op} {ref_text}")


def _relative_day(n: int) -> str:
    if n == 0:
        return "today"
    return f"{n} days from today" if n > 0 else f"{-n} days ago"


BUILDERS: dict[str, Builder] = {"crm": _crm}
