"""The checkout (or any funnel) leaf: a step reached, completed, current, or stuck on
for at least some time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from targeting.engine.conditions_base import Leaf
from targeting.engine.conditions_page import Builder, show
from targeting.engine.conditions_values import (
    RuleError,
    as_int,
    as_str,
    check_keys,
    format_duration,
    parse_duration,
    required,
)

if TYPE_CHECKING:
    from targeting.engine.snapshot import Snapshot


class CheckoutLeaf(Leaf):
    __slots__ = ("op", "step", "seconds", "delta")

    def __init__(self, path: str, op: str, step: str | int, seconds: float) -> None:
        super().__init__(
            path, "checkout", frozenset({"page_view", "checkout"}), op == "stuck"
        )
        self.op, self.step, self.seconds = op, step, seconds
        self.delta = timedelta(seconds=seconds)

    def _on(self, s: Snapshot) -> bool:
        co = s.checkout
        if co.step == self.step:
            return True
        i = co.index_of(self.step)
        return i is not None and i == co.current_index

    def test(self, s: Snapshot) -> bool:
        co = s.checkout
        op = self.op
        if op == "on":
            return self._on(s)
        if op == "stuck":
            entered = co.step_entered_at
            return self._on(s) and entered is not None and s.now - entered >= self.delta
        i = co.index_of(self.step)
        top = co.max_index
        if op == "completed":
            return i is not None and top is not None and top > i
        return self.step in co.reached or (
            i is not None and top is not None and top >= i
        )

    def wake(self, s: Snapshot, value: bool) -> datetime | None:
        entered = s.checkout.step_entered_at
        if value or entered is None or not self._on(s):
            return None
        return entered + self.delta

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        co = s.checkout
        actual = f"on {show(co.step)}"
        if co.step is not None and co.step_entered_at is not None:
            secs = max(0, int((s.now - co.step_entered_at).total_seconds()))
            actual += f" for {format_duration(secs)}"
        if co.reached:
            actual += f", reached {', '.join(sorted(map(str, co.reached)))}"
        expected = f"{self.op} {self.step!r}"
        if self.op == "stuck":
            expected += f" for >= {format_duration(self.seconds)}"
        return "checkout", actual, expected


def _checkout(d: Mapping[str, Any], path: str, field: str) -> Leaf:
    check_keys(d, path, ("field", "op", "step", "for"))
    ops = ("reached", "completed", "on", "stuck")
    op = required(d, "op", path)
    if op not in ops:
        raise RuleError(
            f"{path}.op", f"unknown op {op!r}; expected one of {', '.join(ops)}"
        )
    step = required(d, "step", path)
    if isinstance(step, int) and not isinstance(step, bool):
        step = as_int(step, f"{path}.step")
    else:
        step = as_str(step, f"{path}.step")
    seconds = 0.0
    if op == "stuck":
        seconds = parse_duration(required(d, "for", path), f"{path}.for")
    elif "for" in d:
        raise RuleError(f"{path}.for", "'for' only applies to op 'stuck'")
    return CheckoutLeaf(path, op, step, seconds)


BUILDERS: dict[str, Builder] = {"checkout": _checkout}
