"""Outcomes of a rule per variant (shown vs held out), and the lift of showing it.

An exposure is an ``Offer`` row: a treatment visitor was shown the action, a holdout
visitor matched at the same moment but was shown nothing. What followed is looked up
per exposure within the attribution ``window`` after ``shown_at``:

* chat: a conversation of the visitor created in the window;
* lead: a lead of the visitor created in the window, or any lead of theirs that
  names the rule (``Lead.rule_id``);
* purchase: a purchase event of the visitor in the window.

Outcomes are counted per visitor (the holdout split is per visitor): a visitor
counts once for an outcome that followed any of their exposures. Rates divide by
the variant's visitors; answer rates (accepted, rejected, ignored) by the offers
shown. Lift compares the treatment's rate with the holdout's.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone

from chat.models import Conversation
from leads.models import Lead
from targeting.models import Offer, Rule, TrackEvent
from targeting.services.coupons import pools_stock, stock_label

OUTCOMES = ("chat", "lead", "purchase")
ANSWERS = ("accepted", "rejected", "ignored")
VARIANTS = (Offer.Variant.TREATMENT.value, Offer.Variant.HOLDOUT.value)


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _lift(treatment: float | None, holdout: float | None) -> dict[str, Any]:
    if treatment is None or holdout is None:
        return {
            "treatment": treatment,
            "holdout": holdout,
            "difference": None,
            "relative": None,
        }
    return {
        "treatment": treatment,
        "holdout": holdout,
        # In rate points (0.05 = five visitors in a hundred more).
        "difference": treatment - holdout,
        # (treatment - holdout) / holdout; None when nobody in the holdout converted.
        "relative": (treatment - holdout) / holdout if holdout else None,
    }


def rule_results(
    *,
    rule: Rule,
    window: timedelta = timedelta(days=7),
    since: datetime | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """The rule's results for exposures shown since ``since`` (all when None). One
    aggregate query (three EXISTS subqueries per exposure, grouped by variant);
    ``window_open`` counts exposures whose window has not ended yet, so their
    outcomes may still grow."""
    now = now or timezone.now()
    start, end = OuterRef("shown_at"), OuterRef("shown_at") + window
    visitor = OuterRef("visitor_id")
    chat = Conversation.objects.filter(
        visitor_id=visitor, created_at__gte=start, created_at__lt=end
    )
    lead = Lead.objects.filter(visitor_id=visitor).filter(
        Q(created_at__gte=start, created_at__lt=end) | Q(rule_id=rule.pk)
    )
    purchase = TrackEvent.objects.filter(
        visitor_id=visitor,
        kind=TrackEvent.Kind.PURCHASE,
        at__gte=start,
        at__lt=end,
    )
    offers = Offer.objects.filter(rule=rule)
    if since is not None:
        offers = offers.filter(shown_at__gte=since)
    rows = (
        offers.annotate(chat=Exists(chat), lead=Exists(lead), purchase=Exists(purchase))
        .order_by()
        .values("variant")
        .annotate(
            exposures=Count("id"),
            visitors=Count("visitor_id", distinct=True),
            shown=Count("id", filter=~Q(state=Offer.State.HELD_OUT)),
            pending=Count("id", filter=Q(state=Offer.State.SHOWN)),
            window_open=Count("id", filter=Q(shown_at__gt=now - window)),
            **{a: Count("id", filter=Q(state=a)) for a in ANSWERS},
            **{
                f"{o}_visitors": Count(
                    "visitor_id", distinct=True, filter=Q(**{o: True})
                )
                for o in OUTCOMES
            },
        )
    )
    variants: dict[str, dict[str, Any]] = {}
    for name in VARIANTS:
        variants[name] = dict.fromkeys(
            ("exposures", "visitors", "shown", "pending", "window_open")
            + ANSWERS
            + OUTCOMES,
            0,
        )
    for row in rows:
        data = variants.setdefault(row["variant"], {})
        for key in ("exposures", "visitors", "shown", "pending", "window_open"):
            data[key] = row[key]
        for answer in ANSWERS:
            data[answer] = row[answer]
        for outcome in OUTCOMES:
            data[outcome] = row[f"{outcome}_visitors"]
    for data in variants.values():
        data["rates"] = {
            **{a: _rate(data[a], data["shown"]) for a in ANSWERS},
            **{o: _rate(data[o], data["visitors"]) for o in OUTCOMES},
        }
    treatment, holdout = (variants[v]["rates"] for v in VARIANTS)
    return {
        "rule": rule.pk,
        "window_days": window / timedelta(days=1),
        "since": since.isoformat() if since else None,
        "holdout_percent": rule.holdout_percent,
        "variants": variants,
        "lift": {o: _lift(treatment[o], holdout[o]) for o in OUTCOMES},
        # The pools the rule hands codes from (action or fallback), with their stock.
        "coupon_pools": pools_stock(pool_ids=_rule_pools(rule)),
    }


def _rule_pools(rule: Rule) -> list[int]:
    return [
        action["pool"]
        for action in (rule.action, rule.fallback)
        if isinstance(action, dict) and action.get("kind") == "coupon"
    ]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def results_text(results: dict[str, Any]) -> str:
    """The results as a small plain-text table (the admin's Results section)."""
    t, h = (results["variants"][v] for v in VARIANTS)
    lines = [
        f"Attribution window: {results['window_days']:g} day(s)"
        + (f", exposures since {results['since']}" if results["since"] else ""),
        f"{'':<22}{'treatment':>12}{'holdout':>12}",
    ]
    for key in ("exposures", "visitors", "shown", *ANSWERS, "pending", "window_open"):
        label = {"window_open": "window still open"}.get(key, key)
        lines.append(f"{label:<22}{t[key]:>12}{h[key]:>12}")
    for outcome in OUTCOMES:
        lift = results["lift"][outcome]
        rel = lift["relative"]
        lines.append(
            f"{outcome + ' (visitors)':<22}{t[outcome]:>12}{h[outcome]:>12}"
            f"   rate {_pct(t['rates'][outcome])} vs {_pct(h['rates'][outcome])}"
            + ("" if rel is None else f", lift {rel * 100:+.1f}%")
        )
    for pool in results.get("coupon_pools", []):
        lines.append(
            f"Coupon pool \u201c{pool['name']}\u201d: {pool['free']} free code(s), "
            f"{pool['assigned']} handed out; "
            + stock_label(pool["free"], pool["low_stock_threshold"])
        )
    return "\n".join(lines)
