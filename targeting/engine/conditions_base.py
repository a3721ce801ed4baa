"""Compiled condition nodes and how their results combine.

Every node answers three questions about a snapshot, from cheapest to richest:

* ``test(s) -> bool``: the fast path (``matches()``); groups short-circuit.
* ``timed(s) -> (bool, wake_at)``: the result plus the earliest instant after ``now`` at
  which it could change with no new event. The server arms a timer for it.
* ``explain(s) -> Outcome``: the result, ``wake_at`` and a ``Reason`` per leaf, for the
  manager's preview.

How ``wake_at`` combines (a leaf's ``wake_at`` is exact; a group's is a safe lower
bound, i.e. possibly early, never late):

* ``all`` true: the earliest child change. ``all`` false: it cannot become true before
  every failing child has changed, so the latest failing child's change; None if some
  failing child never changes on its own (then the group cannot either).
* ``any`` is the mirror image; ``not`` changes when its child does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from targeting.engine.snapshot import Snapshot

Timed = tuple[bool, datetime | None]


@dataclass(frozen=True, slots=True)
class Reason:
    """One leaf's verdict in plain English: ``label: actual (expected ...)``."""

    path: str
    passed: bool
    label: str
    actual: str
    expected: str

    @property
    def text(self) -> str:
        return f"{self.label}: {self.actual} (expected {self.expected})"

    def __str__(self) -> str:
        return f"[{'pass' if self.passed else 'FAIL'}] {self.path} {self.text}"


class Outcome:
    """The explained result of a node: ``reason`` on leaves, ``children`` on groups."""

    __slots__ = ("kind", "value", "wake", "reason", "children")

    def __init__(
        self,
        kind: str,
        value: bool,
        wake: datetime | None,
        reason: Reason | None = None,
        children: tuple[Outcome, ...] = (),
    ) -> None:
        self.kind, self.value, self.wake = kind, value, wake
        self.reason, self.children = reason, children

    def reasons(self) -> Iterator[Reason]:
        if self.reason is not None:
            yield self.reason
        for child in self.children:
            yield from child.reasons()

    def blame(self) -> Iterator[Reason]:
        """The leaves responsible for this node's value: for a false node, the
        failing leaves that make it false (through ``not``, the passing ones)."""
        if self.reason is not None:
            yield self.reason
            return
        if self.kind == "all" and not self.value:
            picks = [c for c in self.children if not c.value]
        elif self.kind == "any" and self.value:
            picks = [c for c in self.children if c.value]
        else:  # all true, any false, not: every child counts
            picks = list(self.children)
        for child in picks:
            yield from child.blame()


class Condition:
    __slots__ = ("path",)
    kind = "leaf"

    def __init__(self, path: str) -> None:
        self.path = path

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.path}>"

    def test(self, s: Snapshot) -> bool:
        raise NotImplementedError

    def timed(self, s: Snapshot) -> Timed:
        raise NotImplementedError

    def explain(self, s: Snapshot) -> Outcome:
        raise NotImplementedError

    def children(self) -> Sequence[Condition]:
        return ()

    def leaves(self) -> Iterator[Leaf]:
        for child in self.children():
            yield from child.leaves()


def combine_all(results: Iterable[Timed]) -> Timed:
    soonest: datetime | None = None
    latest_fail: datetime | None = None
    ok = True
    for value, wake in results:
        if value:
            if wake is not None and (soonest is None or wake < soonest):
                soonest = wake
        elif wake is None:
            return False, None
        else:
            ok = False
            if latest_fail is None or wake > latest_fail:
                latest_fail = wake
    return (True, soonest) if ok else (False, latest_fail)


def combine_any(results: Iterable[Timed]) -> Timed:
    soonest: datetime | None = None
    latest_pass: datetime | None = None
    ok = False
    for value, wake in results:
        if not value:
            if wake is not None and (soonest is None or wake < soonest):
                soonest = wake
        elif wake is None:
            return True, None
        else:
            ok = True
            if latest_pass is None or wake > latest_pass:
                latest_pass = wake
    return (True, latest_pass) if ok else (False, soonest)


class All(Condition):
    __slots__ = ("items",)
    kind = "all"

    def __init__(self, path: str, items: Sequence[Condition]) -> None:
        super().__init__(path)
        self.items = tuple(items)

    def test(self, s: Snapshot) -> bool:
        for c in self.items:
            if not c.test(s):
                return False
        return True

    def timed(self, s: Snapshot) -> Timed:
        # combine_all, inlined: this is the server's per-event path.
        soonest: datetime | None = None
        latest_fail: datetime | None = None
        ok = True
        for c in self.items:
            value, wake = c.timed(s)
            if value:
                if wake is not None and (soonest is None or wake < soonest):
                    soonest = wake
            elif wake is None:
                return False, None  # a failure that cannot change by itself
            else:
                ok = False
                if latest_fail is None or wake > latest_fail:
                    latest_fail = wake
        return (True, soonest) if ok else (False, latest_fail)

    def explain(self, s: Snapshot) -> Outcome:
        outs = tuple(c.explain(s) for c in self.items)
        value, wake = combine_all([(o.value, o.wake) for o in outs])
        return Outcome(self.kind, value, wake, None, outs)

    def children(self) -> Sequence[Condition]:
        return self.items


class Any(All):
    __slots__ = ()
    kind = "any"

    def test(self, s: Snapshot) -> bool:
        for c in self.items:
            if c.test(s):
                return True
        return False

    def timed(self, s: Snapshot) -> Timed:
        soonest: datetime | None = None
        latest_pass: datetime | None = None
        ok = False
        for c in self.items:
            value, wake = c.timed(s)
            if not value:
                if wake is not None and (soonest is None or wake < soonest):
                    soonest = wake
            elif wake is None:
                return True, None  # a success that cannot change by itself
            else:
                ok = True
                if latest_pass is None or wake > latest_pass:
                    latest_pass = wake
        return (True, latest_pass) if ok else (False, soonest)

    def explain(self, s: Snapshot) -> Outcome:
        outs = tuple(c.explain(s) for c in self.items)
        value, wake = combine_any([(o.value, o.wake) for o in outs])
        return Outcome(self.kind, value, wake, None, outs)


class Not(Condition):
    __slots__ = ("item",)
    kind = "not"

    def __init__(self, path: str, item: Condition) -> None:
        super().__init__(path)
        self.item = item

    def test(self, s: Snapshot) -> bool:
        return not self.item.test(s)

    def timed(self, s: Snapshot) -> Timed:
        value, wake = self.item.timed(s)
        return not value, wake

    def explain(self, s: Snapshot) -> Outcome:
        out = self.item.explain(s)
        return Outcome(self.kind, not out.value, out.wake, None, (out,))

    def children(self) -> Sequence[Condition]:
        return (self.item,)


class Leaf(Condition):
    """A single test. Subclasses implement ``test``, ``describe`` and, when
    ``time_based``, ``wake`` (the next instant the result changes by itself)."""

    __slots__ = ("field", "triggers", "time_based")

    def __init__(
        self, path: str, field: str, triggers: frozenset[str], time_based: bool = False
    ) -> None:
        super().__init__(path)
        self.field = field
        self.triggers = triggers | {"timer"} if time_based else triggers
        self.time_based = time_based

    def wake(self, s: Snapshot, value: bool) -> datetime | None:
        return None

    def describe(self, s: Snapshot) -> tuple[str, str, str]:
        """(label, actual, expected) in plain English."""
        raise NotImplementedError

    def timed(self, s: Snapshot) -> Timed:
        value = self.test(s)
        if not self.time_based:
            return value, None
        wake = self.wake(s, value)
        return value, (wake if wake is not None and wake > s.now else None)

    def explain(self, s: Snapshot) -> Outcome:
        value, wake = self.timed(s)
        label, actual, expected = self.describe(s)
        reason = Reason(self.path, value, label, actual, expected)
        return Outcome("leaf", value, wake, reason)

    def leaves(self) -> Iterator[Leaf]:
        yield self
