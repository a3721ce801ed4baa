"""Leaves over the current page, the session, cart totals and the site context, and
the rule's target pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from targeting.engine.conditions_base import Leaf
from targeting.engine.conditions_text import (
    STR_OPS,
    StrTest,
    compile_regex,
    parse_str_test,
)
from targeting.engine.conditions_values import (
    BOUND_KEYS,
    Bounds,
    RuleError,
    as_bool,
    as_str,
    check_keys,
    fmt_number,
    format_duration,
    parse_bounds,
)
from targeting.engine.snapshot import DEVICES

if TYPE_CHECKING:
    from targeting.engine.snapshot import Snapshot

PAGE = frozenset({"page_view"})
CART = frozenset({"page_view", "cart", "purchase"})
CONTEXT = frozenset({"page_view", "context"})

Builder = Callable[[Mapping[str, Any], str, str], Leaf]


def show(value: object) -> str:
    if value is None or value == "":
        return "none"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return fmt_number(value)
    return repr(value) if isinstance(value, str) else str(value)


class StringLeaf(Leaf):
    __slots__ = ("get", "fn", "match", "label")

    def __init__(
        self,
        path: str,
        field: str,
        get: Callable[[Snapshot], str | None],
        match: StrTest,
        label: str,
    ) -> None:
        super().__init__(path, field, PAGE)
        self.get, self.fn, self.match, self.label = get, match.fn, match, label

    def test(self, s: Snapshot) -> bool:
        return self.fn(self.get(s) or None)  # "" is "not reported" too

    def timed(self, s: Snapshot) -> tuple[bool, datetime | None]:
        return self.fn(self.get(s) or None), None

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        return self.label, show(self.get(s)), self.match.expected


_STRINGS: dict[str, tuple[str, Callable[[Snapshot], str | None]]] = {
    "url": ("page URL", lambda s: s.page.url),
    "path": ("page path", lambda s: s.page.path),
    "title": ("page title", lambda s: s.page.title),
    "category": ("page category", lambda s: s.page.category),
    "product": ("page product", lambda s: s.page.product),
    "product_name": ("page product name", lambda s: s.page.product_name),
    "referrer": ("referrer", lambda s: s.session.inflow.referrer),
    "utm_source": ("utm_source", lambda s: s.session.inflow.utm_source),
    "utm_medium": ("utm_medium", lambda s: s.session.inflow.utm_medium),
    "utm_campaign": ("utm_campaign", lambda s: s.session.inflow.utm_campaign),
    "keyword": ("search keyword", lambda s: s.session.inflow.keyword),
    "landing": ("landing page path", lambda s: s.session.inflow.landing_path),
    "landing_url": ("landing page URL", lambda s: s.session.inflow.landing),
    "device": ("device", lambda s: s.session.device),
}
_STRING_KEYS = ("field", "op", "value", "ignore_case")


def _string(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, _STRING_KEYS)
    label, get = _STRINGS[field]
    if field == "device":
        match = parse_str_test(
            d, path, ops=("eq", "ne", "in", "not_in"), choices=DEVICES
        )
    elif field == "referrer":
        match = parse_str_test(d, path, ops=(*STR_OPS, "domain"))
        if match.op == "domain":
            label = "referrer host"
            get = _referrer_host
    else:
        match = parse_str_test(d, path)
    return StringLeaf(path, field, get, match, label)


def _referrer_host(s: Snapshot) -> str | None:
    return s.session.inflow.referrer_host


class NumberLeaf(Leaf):
    __slots__ = ("get", "bounds", "label")

    def __init__(
        self,
        path: str,
        field: str,
        triggers: frozenset[str],
        get: Callable[[Snapshot], float | None],
        bounds: Bounds,
        label: str,
    ) -> None:
        super().__init__(path, field, triggers)
        self.get, self.bounds, self.label = get, bounds, label

    def test(self, s: Snapshot) -> bool:
        x = self.get(s)
        return x is not None and self.bounds.test(x)

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        x = self.get(s)
        actual = "none" if x is None else fmt_number(x)
        return self.label, actual, self.bounds.describe()


_NUMBERS: dict[str, tuple[str, frozenset[str], Callable[[Snapshot], float | None]]] = {
    "price": ("page price", PAGE, lambda s: s.page.price),
    "page_count": ("pages viewed this session", PAGE, lambda s: s.session.page_count),
    "visits": ("visit count", PAGE, lambda s: s.visits),
    "cart_items": ("items in the cart", CART, lambda s: s.cart.count),
    "cart_value": ("cart value", CART, lambda s: s.cart.value),
}


def _number(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, ("field", *BOUND_KEYS))
    label, triggers, get = _NUMBERS[field]
    return NumberLeaf(path, field, triggers, get, parse_bounds(d, path), label)


class ElapsedLeaf(Leaf):
    """Seconds since an instant (page entered, session started, last cart change)."""

    __slots__ = ("get", "bounds", "label", "edges")

    def __init__(
        self,
        path: str,
        field: str,
        triggers: frozenset[str],
        get: Callable[[Snapshot], datetime | None],
        bounds: Bounds,
        label: str,
    ) -> None:
        super().__init__(path, field, triggers, time_based=True)
        self.get, self.bounds, self.label = get, bounds, label
        self.edges = bounds.elapsed_edges()

    def test(self, s: Snapshot) -> bool:
        base = self.get(s)
        return base is not None and self.bounds.test((s.now - base).total_seconds())

    def wake(self, s: Snapshot, value: bool) -> datetime | None:
        base = self.get(s)
        if base is not None:
            for edge in self.edges:
                if base + edge > s.now:
                    return base + edge
        return None

    def timed(self, s: Snapshot) -> tuple[bool, datetime | None]:
        base = self.get(s)
        if base is None:
            return False, None
        now = s.now
        value = self.bounds.test((now - base).total_seconds())
        for edge in self.edges:
            t = base + edge
            if t > now:
                return value, t
        return value, None

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        base = self.get(s)
        actual = (
            "unknown"
            if base is None
            else format_duration(max(0, int((s.now - base).total_seconds())))
        )
        return self.label, actual, self.bounds.describe()


_ELAPSED: dict[str, tuple[str, frozenset[str], Callable[[Snapshot], datetime | None]]]
_ELAPSED = {
    "dwell": ("time on the current page", PAGE, lambda s: s.page.entered_at),
    "time_on_site": ("time on site", PAGE, lambda s: s.session.started_at),
    "cart_idle": (
        "time since the last cart change",
        CART,
        lambda s: s.cart.last_activity_at,
    ),
}


def _elapsed(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, ("field", *BOUND_KEYS))
    label, triggers, get = _ELAPSED[field]
    bounds = parse_bounds(d, path, duration=True, allow_eq=False)
    return ElapsedLeaf(path, field, triggers, get, bounds, label)


class BoolLeaf(Leaf):
    __slots__ = ("get", "want", "label")

    def __init__(
        self,
        path: str,
        field: str,
        triggers: frozenset[str],
        get: Callable[[Snapshot], bool],
        want: bool,
        label: str,
    ) -> None:
        super().__init__(
            path, field, triggers, time_based=field == "business_hours_open"
        )
        self.get, self.want, self.label = get, want, label

    def test(self, s: Snapshot) -> bool:
        return self.get(s) is self.want

    def wake(self, s: Snapshot, value: bool) -> datetime | None:
        change = s.context.hours_change_at  # only business_hours_open is time based
        return change if change is not None and change > s.now else None

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        return self.label, "yes" if self.get(s) else "no", "yes" if self.want else "no"


_BOOLS: dict[str, tuple[str, frozenset[str], Callable[[Snapshot], bool]]] = {
    "returning": ("returning visitor", PAGE, lambda s: s.returning),
    "business_hours_open": (
        "within business hours",
        CONTEXT,
        lambda s: s.context.open_at(s.now),
    ),
    "counselor_available": (
        "a counselor with free capacity",
        CONTEXT,
        lambda s: s.context.counselor_available,
    ),
}


def _bool(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, ("field", "value"))
    label, triggers, get = _BOOLS[field]
    want = as_bool(d.get("value", True), f"{path}.value")
    return BoolLeaf(path, field, triggers, get, want, label)


class PageTarget(NamedTuple):
    """Where a rule may fire: ``kind`` exact | prefix | regex, matched on the path."""

    kind: str
    value: str
    regex: re.Pattern[str] | None = None

    def matches(self, path: str) -> bool:
        if self.kind == "prefix":
            return path.startswith(self.value)
        if self.kind == "exact":
            return path == self.value
        return self.regex is not None and self.regex.search(path) is not None

    def __str__(self) -> str:
        return {"prefix": "{}*", "exact": "{}", "regex": "/{}/"}[self.kind].format(
            self.value
        )


def parse_target_pages(value: Any, path: str) -> tuple[PageTarget, ...]:
    """A list of "/prefix", {"prefix": ...}, {"exact": ...} or {"regex": ...}."""
    if not isinstance(value, list | tuple):
        raise RuleError(path, f"expected a list of page targets, got {value!r}")
    out = []
    for i, item in enumerate(value):
        p = f"{path}[{i}]"
        if isinstance(item, str):
            item = {"prefix": item}
        if not isinstance(item, dict) or len(item) != 1:
            raise RuleError(
                p, 'expected "/path-prefix" or one of {"prefix"|"exact"|"regex": ...}'
            )
        ((kind, raw),) = item.items()
        check_keys(item, p, ("prefix", "exact", "regex"))
        if kind == "regex":
            out.append(PageTarget(kind, raw, compile_regex(raw, f"{p}.regex")))
        else:
            out.append(PageTarget(kind, as_str(raw, f"{p}.{kind}")))
    return tuple(out)


class TargetPagesLeaf(Leaf):
    __slots__ = ("targets",)

    def __init__(self, path: str, targets: tuple[PageTarget, ...]) -> None:
        super().__init__(path, "target_pages", PAGE)
        self.targets = targets

    def test(self, s: Snapshot) -> bool:
        p = s.page.path
        for t in self.targets:
            if t.matches(p):
                return True
        return False

    def timed(self, s: Snapshot) -> tuple[bool, datetime | None]:
        return self.test(s), None

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        expected = "one of " + ", ".join(map(str, self.targets))
        return "page path (target pages)", repr(s.page.path), expected


BUILDERS: dict[str, Builder] = {
    **dict.fromkeys(_STRINGS, _string),
    **dict.fromkeys(_NUMBERS, _number),
    **dict.fromkeys(_ELAPSED, _elapsed),
    **dict.fromkeys(_BOOLS, _bool),
}
