"""The rule engine's entry points: compiled rules, evaluation with reasons and
``wake_at``, and the choice of one winning rule.

Pure: no ORM, no clock (the snapshot carries ``now``), no Django. Actions, frequency
caps, holdouts and persistence are built on top; ``pick(..., skip=...)`` is where caps
plug in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from targeting.engine.conditions import compile_condition, condition_triggers
from targeting.engine.conditions_base import All, Condition, Reason
from targeting.engine.conditions_page import (
    PageTarget,
    TargetPagesLeaf,
    parse_target_pages,
)
from targeting.engine.conditions_values import RuleError
from targeting.engine.snapshot import Snapshot

__all__ = [
    "EVENT_TYPES",
    "Decision",
    "Pick",
    "Rule",
    "RuleError",
    "choose_winner",
    "compile_rule",
    "evaluate",
    "matches",
    "pick",
    "rank_key",
    "ranked",
]

# What the server reports; a rule lists those that can change its result.
EVENT_TYPES = (
    "page_view",
    "timer",
    "cart",
    "purchase",
    "checkout",
    "search",
    "identify",
    "context",
    "offer",
)


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled rule. ``check`` is what runs: the condition, and the target pages
    when there are some. ``triggers`` always include "page_view" (a page view is when
    an offer can be shown, and target pages depend on it) and "timer" when a leaf
    depends on the clock."""

    id: int
    priority: int
    condition: Condition
    target_pages: tuple[PageTarget, ...] = ()
    triggers: frozenset[str] = field(init=False, default=frozenset())
    check: Condition = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check = self.condition
        if self.target_pages:
            pages = TargetPagesLeaf("$target_pages", self.target_pages)
            check = All("$rule", [pages, self.condition])
        object.__setattr__(self, "check", check)
        triggers = condition_triggers(self.condition) | {"page_view"}
        object.__setattr__(self, "triggers", triggers)


def compile_rule(
    *,
    id: int,
    condition: Mapping[str, Any] | Condition,
    priority: int = 0,
    target_pages: Sequence[Any] = (),
) -> Rule:
    """A ``Rule`` from the manager's JSON; raises ``RuleError`` (path, message) for a
    bad condition (``$...``) or bad target pages (``$target_pages[i]...``)."""
    if isinstance(priority, bool) or not isinstance(priority, int):
        raise RuleError("$priority", f"expected an integer, got {priority!r}")
    cond = (
        condition if isinstance(condition, Condition) else compile_condition(condition)
    )
    pages = parse_target_pages(list(target_pages), "$target_pages")
    return Rule(id=id, priority=priority, condition=cond, target_pages=pages)


@dataclass(frozen=True, slots=True)
class Decision:
    """``reasons``: every leaf's verdict, in the rule's order. ``failing``: when not
    matched, the leaves that make it fail (through a ``not``: the leaves that pass).
    ``wake_at``: the earliest future instant the result could change with no new
    event (None: only an event can change it)."""

    matched: bool
    reasons: list[Reason]
    failing: list[Reason]
    wake_at: datetime | None

    def summary(self) -> str:
        head = "matches" if self.matched else "does not match"
        lines = [head] + [f"  {r}" for r in self.reasons]
        if self.wake_at is not None:
            lines.append(f"  may change at {self.wake_at.isoformat()}")
        return "\n".join(lines)


def _check(target: Rule | Condition) -> Condition:
    return target.check if isinstance(target, Rule) else target


def evaluate(
    target: Rule | Condition, snapshot: Snapshot, *, explain: bool = True
) -> Decision:
    """Evaluate a rule or condition. ``explain=False`` skips the reasons (the server's
    path: it needs ``matched`` and ``wake_at`` only)."""
    cond = _check(target)
    if not explain:
        matched, wake = cond.timed(snapshot)
        return Decision(matched, [], [], wake)
    out = cond.explain(snapshot)
    failing = [] if out.value else list(out.blame())
    return Decision(out.value, list(out.reasons()), failing, out.wake)


def matches(target: Rule | Condition, snapshot: Snapshot) -> bool:
    """The fast path: no reasons, no ``wake_at``, groups short-circuit."""
    return _check(target).test(snapshot)


def rank_key(rule: Rule) -> tuple[int, int]:
    return (-rule.priority, rule.id)


def ranked(rules: Iterable[Rule]) -> list[Rule]:
    """Highest priority first; ties: lower id first."""
    return sorted(rules, key=rank_key)


def choose_winner(rules: Iterable[Rule]) -> Rule | None:
    """Among rules that match: the highest priority, ties to the lower id."""
    return min(rules, key=rank_key, default=None)


@dataclass(frozen=True, slots=True)
class Pick:
    winner: Rule | None
    wake_at: datetime | None  # re-run pick then (a timer), unless an event comes first
    evaluated: int


def pick(
    rules: Iterable[Rule],
    snapshot: Snapshot,
    *,
    skip: Callable[[Rule], bool] | None = None,
) -> Pick:
    """The winning rule for this snapshot. ``rules`` must be ranked (as
    ``RuleIndex.candidates`` returns them, or via ``ranked``); evaluation stops at the
    first match that ``skip`` (frequency caps, ...) does not veto. ``wake_at`` is the
    soonest change among the rules evaluated: lower-ranked rules cannot displace the
    winner, so their changes do not matter until it stops matching."""
    wake: datetime | None = None
    n = 0
    for rule in rules:
        if skip is not None and skip(rule):
            continue
        n += 1
        ok, w = rule.check.timed(snapshot)
        if w is not None and (wake is None or w < wake):
            wake = w
        if ok:
            return Pick(rule, wake, n)
    return Pick(None, wake, n)
