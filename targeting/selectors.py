"""Selectors read: the offer history the runtime's caps read. Sync (the ORM)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from targeting.models import Offer


def offer_history_load(
    *, visitor_id: int, rule_ids: Iterable[int] | None = None
) -> dict[int, list[tuple[datetime, str]]]:
    """The visitor's earlier offers by rule id, oldest first, as (shown_at,
    session_key) (for ``rule_allowed``)."""
    rows = Offer.objects.filter(visitor_id=visitor_id)
    if rule_ids is not None:
        rows = rows.filter(rule_id__in=list(rule_ids))
    out: dict[int, list[tuple[datetime, str]]] = {}
    for rule_id, at, key in rows.order_by("shown_at", "id").values_list(
        "rule_id", "shown_at", "session_key"
    ):
        out.setdefault(rule_id, []).append((at, key))
    return out
