"""The checks on a rule the engine does not make: frequency caps, active dates and
daily hours (``rule_blockers``, ``rule_allowed``), and the stable holdout split
(``variant_for``). No I/O: the caller passes the snapshot and the visitor's earlier
offers of the rule (``targeting.selectors.offer_history``)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta
from typing import Protocol

from targeting.engine.snapshot import Snapshot
from targeting.models import Offer

HOLDOUT = Offer.Variant.HOLDOUT.value
TREATMENT = Offer.Variant.TREATMENT.value

# (shown_at, session_key) of one visitor's earlier offers of one rule, oldest first.
History = Sequence[tuple[datetime, str]]


class RuleSettings(Protocol):
    active: bool
    cap_per_visitor: int
    cap_per_session: int
    cap_days: int
    starts_at: datetime | None
    ends_at: datetime | None
    hours_from: time | None
    hours_until: time | None


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def rule_blockers(
    rule: RuleSettings, *, snapshot: Snapshot, history: History
) -> Iterable[str]:
    """Why ``rule`` may not be shown now, in plain English (lazily, in order)."""
    now = snapshot.now
    if not rule.active:
        yield "the rule is inactive"
    if rule.starts_at is not None and now < rule.starts_at:
        yield f"the rule starts at {rule.starts_at.isoformat()}"
    if rule.ends_at is not None and now >= rule.ends_at:
        yield f"the rule ended at {rule.ends_at.isoformat()}"
    start, end = rule.hours_from, rule.hours_until
    if start is not None and end is not None:
        t = snapshot.local.time()
        inside = (start <= t < end) if start < end else (t >= start or t < end)
        if not inside:
            yield (
                f"outside the rule's hours {start:%H:%M}-{end:%H:%M} "
                f"(it is {t:%H:%M} in the site's zone)"
            )
    if rule.cap_per_visitor and len(history) >= rule.cap_per_visitor:
        yield (
            f"already shown {_times(len(history))} to this visitor "
            f"(cap: {_times(rule.cap_per_visitor)})"
        )
    if rule.cap_per_session:
        session = snapshot.session.id
        n = sum(1 for _, key in history if key == session)
        if n >= rule.cap_per_session:
            yield (
                f"already shown {_times(n)} in this visit "
                f"(cap: {_times(rule.cap_per_session)})"
            )
    if rule.cap_days and history:
        last = max(at for at, _ in history)
        again = last + timedelta(days=rule.cap_days)
        if now < again:
            yield (
                f"shown {last.isoformat()}; once every {rule.cap_days} day(s): "
                f"not before {again.isoformat()}"
            )


def rule_allowed(rule: RuleSettings, *, snapshot: Snapshot, history: History) -> bool:
    """Whether caps, active dates and hours let ``rule`` be shown now. ``history``:
    the visitor's earlier offers of this rule (held-out ones included, so both
    variants are capped alike), as (shown_at, session_key)."""
    return (
        next(iter(rule_blockers(rule, snapshot=snapshot, history=history)), None)
        is None
    )


def variant_for(rule_id: int, visitor_id: int, holdout_percent: int) -> str:
    """ "holdout" for a stable ``holdout_percent`` % of visitors per rule, else
    "treatment": the same answer in every process and after restarts."""
    if holdout_percent <= 0:
        return TREATMENT
    digest = hashlib.blake2b(
        f"holdout:{rule_id}:{visitor_id}".encode(), digest_size=8
    ).digest()
    bucket = int.from_bytes(digest, "big") % 10_000
    return HOLDOUT if bucket < holdout_percent * 100 else TREATMENT
