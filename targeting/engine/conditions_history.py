"""Leaves over histories counted in a window: views of a category or product,
searches, cart adds, cart contents, purchases (orders and sums), offer outcomes.

Each takes ``within`` (a duration, "session", or absent for all retained history) and
bounds on the count (default ``min: 1``, "at least once"). Their ``wake_at`` is the
instant the oldest events leave the window far enough for the result to flip.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from targeting.engine.conditions_base import Leaf
from targeting.engine.conditions_page import CART, PAGE, Builder
from targeting.engine.conditions_text import StrTest, parse_str_test
from targeting.engine.conditions_values import (
    BOUND_KEYS,
    Bounds,
    RuleError,
    Window,
    as_str,
    as_str_set,
    check_keys,
    count_wake,
    fmt_number,
    parse_bounds,
    parse_window,
    required,
)
from targeting.engine.snapshot import OFFER_OUTCOMES

if TYPE_CHECKING:
    from targeting.engine.snapshot import Snapshot

Index = Callable[["Snapshot"], Mapping[str, tuple[datetime, ...]]]


def _names(values: frozenset[str]) -> str:
    return " or ".join(repr(v) for v in sorted(values))


class ViewsLeaf(Leaf):
    """``category_views`` / ``product_views``: views of any of ``keys``."""

    __slots__ = ("keys", "index", "window", "bounds", "label")

    def __init__(
        self,
        path: str,
        field: str,
        keys: frozenset[str],
        index: Index,
        window: Window,
        bounds: Bounds,
    ) -> None:
        super().__init__(path, field, PAGE, time_based=window.kind == "duration")
        self.keys, self.index, self.window, self.bounds = keys, index, window, bounds
        kind = field.split("_")[0]
        self.label = f"views of {kind} {_names(keys)} {window.text}"

    def count(self, s: Snapshot) -> int:
        idx = self.index(s)
        n = 0
        for key in self.keys:
            times = idx.get(key)
            if times:
                n += len(times) - self.window.start_in_times(times, s)
        return n

    def test(self, s: Snapshot) -> bool:
        return self.bounds.test(self.count(s))

    def wake(self, s: Snapshot, value: bool) -> datetime | None:
        return self.timed(s)[1]

    def timed(self, s: Snapshot) -> tuple[bool, datetime | None]:
        idx, window = self.index(s), self.window
        if len(self.keys) == 1:  # the common case: no merging, no copying
            (key,) = self.keys
            times: Sequence[datetime] = idx.get(key, ())
            start = window.start_in_times(times, s)
        else:
            merged: list[datetime] = []
            for key in self.keys:
                t = idx.get(key, ())
                merged.extend(t[window.start_in_times(t, s) :])
            merged.sort()
            times, start = merged, 0
        value = self.bounds.test(len(times) - start)
        return value, count_wake(times, self.bounds, value, window, start)

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        return self.label, str(self.count(s)), self.bounds.describe()


def _views(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    kind = "category" if field == "category_views" else "product"
    check_keys(d, path, ("field", kind, "within", *BOUND_KEYS))
    keys = as_str_set(required(d, kind, path), f"{path}.{kind}")
    window = parse_window(d.get("within"), f"{path}.within")
    bounds = parse_bounds(d, path, default_min=1)
    index: Index = (
        (lambda s: s.views.by_category)
        if kind == "category"
        else (lambda s: s.views.by_product)
    )
    return ViewsLeaf(path, field, keys, index, window, bounds)


class CountLeaf(Leaf):
    """Events of one history that pass ``keep``, counted in ``window``; with
    ``distinct`` (purchases: the order id), each group counts once."""

    __slots__ = ("history", "keep", "window", "bounds", "label", "distinct")

    def __init__(
        self,
        path: str,
        field: str,
        triggers: frozenset[str],
        history: Callable[[Snapshot], Sequence[tuple[Any, ...]]],
        keep: Callable[[Any, Snapshot], bool],
        window: Window,
        bounds: Bounds,
        label: str,
        distinct: Callable[[Any], object] | None = None,
    ) -> None:
        super().__init__(path, field, triggers, time_based=window.kind == "duration")
        self.history, self.keep, self.window = history, keep, window
        self.bounds, self.label, self.distinct = bounds, label, distinct

    def matching(self, s: Snapshot) -> list[datetime]:
        items = self.history(s)
        keep = self.keep
        hits = [it for it in items[self.window.start(items, s) :] if keep(it, s)]
        if self.distinct is None:
            return [it[0] for it in hits]
        first: dict[object, datetime] = {}
        for it in hits:
            first.setdefault(self.distinct(it), it[0])
        return sorted(first.values())

    def test(self, s: Snapshot) -> bool:
        return self.bounds.test(len(self.matching(s)))

    def wake(self, s: Snapshot, value: bool) -> datetime | None:
        return count_wake(self.matching(s), self.bounds, value, self.window)

    def timed(self, s: Snapshot) -> tuple[bool, datetime | None]:
        times = self.matching(s)
        value = self.bounds.test(len(times))
        return value, count_wake(times, self.bounds, value, self.window)

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        return self.label, str(len(self.matching(s))), self.bounds.describe()


class SumLeaf(CountLeaf):
    """The sum of ``amount`` over matching purchase lines in the window."""

    __slots__ = ()

    def total(self, s: Snapshot) -> float:
        items = s.purchases
        return sum(
            it.amount for it in items[self.window.start(items, s) :] if self.keep(it, s)
        )

    def test(self, s: Snapshot) -> bool:
        return self.bounds.test(self.total(s))

    def timed(self, s: Snapshot) -> tuple[bool, datetime | None]:
        value = self.test(s)
        return value, self.wake(s, value)

    def wake(self, s: Snapshot, value: bool) -> datetime | None:
        if self.window.kind != "duration":
            return None
        items = s.purchases
        total = self.total(s)
        for it in items[self.window.start(items, s) :]:
            if self.keep(it, s):
                total -= it.amount
                if self.bounds.test(total) is not value:
                    return it.at + self.window.delta
        return None

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        return self.label, fmt_number(self.total(s)), self.bounds.describe()


def _item_filter(
    d: Mapping[str, Any], path: str
) -> tuple[Callable[[Any, Snapshot], bool], str]:
    """``product`` and/or ``category`` filters on items with those attributes."""
    products = as_str_set(d["product"], f"{path}.product") if "product" in d else None
    categories = (
        as_str_set(d["category"], f"{path}.category") if "category" in d else None
    )

    def keep(it: Any, s: Snapshot) -> bool:
        return (products is None or it.product in products) and (
            categories is None or it.category in categories
        )

    what = []
    if products:
        what.append(f"product {_names(products)}")
    if categories:
        what.append(f"category {_names(categories)}")
    return keep, " in ".join(what)


_WINDOWED = ("field", "within", *BOUND_KEYS)


def _cart_added(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, (*_WINDOWED, "product", "category"))
    match, what = _item_filter(d, path)
    window = parse_window(d.get("within"), f"{path}.within")

    def keep(ev: Any, s: Snapshot) -> bool:
        return ev.op == "add" and match(ev, s)

    label = f"cart adds{' of ' + what if what else ''} {window.text}"
    return CountLeaf(
        path, field, CART, lambda s: s.cart.events, keep, window,
        parse_bounds(d, path, default_min=1), label,
    )  # fmt: skip


class CartContainsLeaf(Leaf):
    __slots__ = ("match", "what")

    def __init__(self, path: str, match: Callable[[Any, Snapshot], bool], what: str):
        super().__init__(path, "cart_contains", CART)
        self.match, self.what = match, what

    def test(self, s: Snapshot) -> bool:
        match = self.match
        for item in s.cart.items:
            if match(item, s):
                return True
        return False

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        items = ", ".join(
            f"{i.product}({i.category or '-'})x{i.qty}" for i in s.cart.items
        )
        return "cart", items or "empty", f"contains {self.what}"


def _cart_contains(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, ("field", "product", "category"))
    if "product" not in d and "category" not in d:
        raise RuleError(path, "needs 'product' or 'category'")
    match, what = _item_filter(d, path)
    return CartContainsLeaf(path, match, what)


PURCHASE = frozenset({"page_view", "purchase"})


def _purchased(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, (*_WINDOWED, "product", "category"))
    keep, what = _item_filter(d, path)
    window = parse_window(d.get("within"), f"{path}.within")
    if field == "purchase_total":
        label = f"amount spent{' on ' + what if what else ''} {window.text}"
        return SumLeaf(
            path, field, PURCHASE, lambda s: s.purchases, keep, window,
            parse_bounds(d, path), label,
        )  # fmt: skip
    label = f"orders{' with ' + what if what else ''} {window.text}"
    return CountLeaf(
        path, field, PURCHASE, lambda s: s.purchases, keep, window,
        parse_bounds(d, path, default_min=1), label, distinct=lambda it: it.order_id,
    )  # fmt: skip


def _searches(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, (*_WINDOWED, "op", "value", "ignore_case"))
    window = parse_window(d.get("within"), f"{path}.within")
    query: StrTest | None = parse_str_test(d, path) if "op" in d else None
    fn = query.fn if query is not None else None

    def keep(it: Any, s: Snapshot) -> bool:
        return fn is None or fn(it.query)

    what = f" whose query {query.expected}" if query is not None else ""
    label = f"searches{what} {window.text}"
    return CountLeaf(
        path, field, frozenset({"page_view", "search"}), lambda s: s.searches, keep,
        window, parse_bounds(d, path, default_min=1), label,
    )  # fmt: skip


def _offers(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, (*_WINDOWED, "rule", "kind", "outcome"))
    rule = d.get("rule")
    if rule is not None and (isinstance(rule, bool) or not isinstance(rule, int | str)):
        raise RuleError(f"{path}.rule", f"expected a rule id, got {rule!r}")
    kind = as_str(d["kind"], f"{path}.kind") if "kind" in d else None
    outcomes = as_str_set(d["outcome"], f"{path}.outcome") if "outcome" in d else None
    if outcomes is not None and not outcomes <= OFFER_OUTCOMES:
        bad = min(outcomes - OFFER_OUTCOMES)
        raise RuleError(
            f"{path}.outcome",
            f"unknown outcome {bad!r}; expected {_names(OFFER_OUTCOMES)}",
        )
    raw_window = d.get("within")
    session = raw_window == "session"
    # "this session" means the session id, not the clock, for offers.
    window = parse_window(None if session else raw_window, f"{path}.within")

    def keep(it: Any, s: Snapshot) -> bool:
        return (
            (rule is None or it.rule_id == rule)
            and (kind is None or it.kind == kind)
            and (outcomes is None or it.outcome in outcomes)
            and (not session or it.session_id == s.session.id)
        )

    parts = [f"rule {rule!r}" if rule is not None else "", kind or ""]
    parts.append(f"outcome {_names(outcomes)}" if outcomes else "")
    what = ", ".join(p for p in parts if p)
    label = f"offers{' (' + what + ')' if what else ''} " + (
        "this session" if session else window.text
    )
    return CountLeaf(
        path, field, frozenset({"page_view", "offer"}), lambda s: s.offers, keep,
        window, parse_bounds(d, path, default_min=1), label,
    )  # fmt: skip


BUILDERS: dict[str, Builder] = {
    "category_views": _views,
    "product_views": _views,
    "cart_added": _cart_added,
    "cart_contains": _cart_contains,
    "purchased": _purchased,
    "purchase_total": _purchased,
    "searches": _searches,
    "offers": _offers,
}
