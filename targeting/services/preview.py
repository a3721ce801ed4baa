"""The rule editor's preview: would this rule fire for visitor X now, and if not,
which condition (or cap, date, hour, holdout) stops it."""

from __future__ import annotations

import re
import uuid
from dataclasses import replace
from datetime import datetime
from typing import Any

from chat.models import Site, Visitor
from core.errors import ServiceError
from leads.services.availability import site_availability
from targeting import clock, live
from targeting.engine.actions import render_action
from targeting.engine.conditions_values import RuleError
from targeting.engine.evaluator import evaluate
from targeting.engine.snapshot import Context, Snapshot
from targeting.engine.snapshot import Offer as OfferRecord
from targeting.models import Coupon, CouponPool, Offer, Rule
from targeting.selectors import offer_history_load
from targeting.services.coupons import pool_free
from targeting.services.rules import (
    HOLDOUT,
    rule_blockers,
    rule_compile,
    variant_for,
)

CLOSED_REASONS = ("closed_hours", "holiday", "closure", "no_hours")
SHORT_ID_MIN = 4
_HEX = re.compile(r"[0-9a-f]+")


def visitor_by_id(*, site_id: int, raw: str) -> Visitor:
    """The site's visitor named by a full public id (a UUID) or by the start of one,
    as the console shows it ("Visitor 1a2b3c4d": 8 characters; at least 4). A prefix
    must name exactly one visitor of the site. ServiceError: "bad_field" (not an id),
    "not_found", or "ambiguous" (a longer prefix is needed)."""
    text = (raw or "").strip().lower()
    if text.startswith("visitor "):
        text = text[len("visitor ") :].strip()
    visitors = Visitor.objects.select_related("site").filter(site_id=site_id)
    try:
        public_id = uuid.UUID(text)
    except ValueError:
        public_id = None
    if public_id is not None:
        visitor = visitors.filter(public_id=public_id).first()
        if visitor is None:
            raise ServiceError("not_found", "No visitor with that id on this site.")
        return visitor
    compact = text.replace("-", "")
    if len(compact) < SHORT_ID_MIN or not _HEX.fullmatch(compact):
        raise ServiceError(
            "bad_field",
            "Enter a visitor's public id (a UUID) or at least its first "
            f"{SHORT_ID_MIN} characters, as the console shows it.",
        )
    matches = list(visitors.filter(public_id__startswith=compact)[:2])
    if not matches:
        raise ServiceError("not_found", "No visitor with that id on this site.")
    if len(matches) > 1:
        raise ServiceError(
            "ambiguous",
            f"Several visitors of this site have an id starting with {compact!r}; "
            "enter more characters (or the full id).",
        )
    return matches[0]


def site_context(*, site: Site, now: datetime) -> Context:
    """Business hours and counselor capacity as the engine sees them: a counselor
    is available when a newcomer would not wait (a free slot beyond the queue)."""
    state = site_availability(site=site, now=now)
    hours_open = state.reason not in CLOSED_REASONS
    return Context(
        business_hours_open=hours_open,
        hours_change_at=state.closes_at if hours_open else state.opens_at,
        counselor_available=state.open and state.expected_wait == 0,
    )


def snapshot_offers(*, visitor_id: int, since: datetime) -> tuple[OfferRecord, ...]:
    """The visitor's offers since ``since`` as the engine's history ("shown", then
    the answer), oldest first. Held-out exposures were never seen: left out."""
    records = []
    rows = (
        Offer.objects.filter(visitor_id=visitor_id, shown_at__gte=since)
        .exclude(state=Offer.State.HELD_OUT)
        .values_list(
            "rule_id", "kind", "state", "shown_at", "answered_at", "session_key"
        )
    )
    for rule_id, kind, state, shown_at, answered_at, key in rows:
        records.append(OfferRecord(shown_at, rule_id, kind, "shown", key))
        if state != Offer.State.SHOWN:
            records.append(
                OfferRecord(answered_at or shown_at, rule_id, kind, state, key)
            )
    records.sort(key=lambda r: r.at)
    return tuple(records)


def visitor_snapshot(*, visitor: Visitor, now: datetime) -> tuple[Snapshot, str]:
    """The live snapshot when the visitor is connected to this process, else one
    rebuilt from the record; and which it is ("live" or "record")."""
    entry = live.live_get(visitor.pk)
    if entry is not None:
        return entry.snapshot.at(max(now, entry.snapshot.now)), "live"
    site = visitor.site
    snapshot = live.snapshot_load(visitor=visitor, site=site, now=now)
    offers = snapshot_offers(visitor_id=visitor.pk, since=now - live.RETAIN)
    context = site_context(site=site, now=now)
    return replace(snapshot, offers=offers, context=context), "record"


def rule_preview(
    *, rule: Rule, visitor: Visitor, now: datetime | None = None
) -> dict[str, Any]:
    """Evaluate ``rule`` for ``visitor`` now, with reasons. Reads only (the
    visitor's record, their offers, the site's availability); shows nothing."""
    now = now or clock.now()
    snapshot, source = visitor_snapshot(visitor=visitor, now=now)
    base = {
        "rule": rule.pk,
        "visitor": str(visitor.public_id),
        "now": snapshot.now.isoformat(),
        "source": source,
        "page": snapshot.page.url if snapshot.page.entered_at else None,
    }
    try:
        compiled = rule_compile(rule=rule)
    except RuleError as exc:
        return {**base, "error": f"the rule does not compile: {exc}"}
    decision = evaluate(compiled, snapshot)
    history = offer_history_load(visitor_id=visitor.pk, rule_ids=[rule.pk])
    blocked_by = list(
        rule_blockers(rule, snapshot=snapshot, history=history.get(rule.pk, []))
    )
    variant = variant_for(rule.pk, visitor.pk, rule.holdout_percent)
    if variant == HOLDOUT:
        blocked_by.append(
            f"the visitor is in the rule's {rule.holdout_percent}% holdout "
            "(recorded, never shown)"
        )
    action = rule.action
    note = ""
    if action.get("kind") == "chat_invite" and not snapshot.context.counselor_available:
        action = rule.fallback
        note = (
            "no counselor has free capacity: the fallback would be shown"
            if action
            else "no counselor has free capacity and there is no fallback"
        )
        if not action:
            blocked_by.append(note)
    code = None
    if action and action.get("kind") == "coupon" and variant != HOLDOUT:
        action, code, note = _coupon_preview(rule, action, visitor, note)
        if not action:
            blocked_by.append(note)
    rendered = None
    if action:
        rendered = render_action(
            action, snapshot, name=visitor.name or None, coupon_code=code
        )
    return {
        **base,
        "matched": decision.matched,
        "would_fire": decision.matched and not blocked_by,
        "reasons": [_reason(r) for r in decision.reasons],
        "failing": [_reason(r) for r in decision.failing],
        "blocked_by": blocked_by,
        "variant": variant,
        "action": rendered,
        "action_note": note,
        "wake_at": decision.wake_at.isoformat() if decision.wake_at else None,
    }


def _coupon_preview(
    rule: Rule, action: dict[str, Any], visitor: Visitor, note: str
) -> tuple[dict[str, Any] | None, str | None, str]:
    """What a coupon action would show, without handing a code: the visitor's own
    code, else the pool's next free one; an empty pool gives the fallback (as
    targeting.services.offers.offer_present does). Returns (action, code, note)."""
    pool_id = action.get("pool")
    pool = (
        CouponPool.objects.filter(pk=pool_id, site=rule.site_id).first()
        if isinstance(pool_id, int)
        else None
    )
    if pool is None:
        return None, None, "the coupon pool no longer exists"
    mine = Coupon.objects.filter(pool=pool, visitor=visitor).first()
    if mine is not None:
        return action, mine.code, note or "the visitor already has a code of this pool"
    free = pool_free(pool=pool)
    if free:
        if free <= pool.low_stock_threshold:
            note = note or (
                f"the coupon pool \u201c{pool.name}\u201d is low: {free} code(s) left "
                f"(threshold {pool.low_stock_threshold})"
            )
        return action, "(next free code)", note
    empty = f"the coupon pool \u201c{pool.name}\u201d has no code left"
    fallback = rule.fallback if action is rule.action else None
    if not fallback:
        return None, None, f"{empty} and there is no fallback"
    if fallback.get("kind") == "coupon":
        return _coupon_preview(rule, fallback, visitor, f"{empty}: the fallback")
    return fallback, None, f"{empty}: the fallback would be shown"


def _reason(reason: Any) -> dict[str, Any]:
    return {"path": reason.path, "passed": reason.passed, "text": reason.text}


def preview_text(result: dict[str, Any]) -> str:
    """The preview in plain English, for the admin page."""
    head = f"Visitor {result['visitor']} at {result['now']} ({result['source']})"
    if result.get("page"):
        head += f", on {result['page']}"
    if "error" in result:
        return f"{head}\n{result['error']}"
    if result["would_fire"]:
        verdict = "WOULD FIRE now."
    elif result["matched"]:
        verdict = "Matches, but would not be shown:"
    else:
        verdict = "Does NOT match. Failing:"
    lines = [head, verdict]
    if not result["matched"]:
        lines += [f"  - {r['path']}: {r['text']}" for r in result["failing"]]
        if result["blocked_by"]:
            lines.append("Would also be blocked:")
    lines += [f"  - {b}" for b in result["blocked_by"]]
    if result["action_note"] and result["action_note"] not in result["blocked_by"]:
        lines.append(f"Note: {result['action_note']}")
    lines.append("All conditions:")
    lines += [
        f"  [{'pass' if r['passed'] else 'FAIL'}] {r['path']}: {r['text']}"
        for r in result["reasons"]
    ]
    if result["wake_at"]:
        lines.append(f"May change at {result['wake_at']} with no new event.")
    return "\n".join(lines)
