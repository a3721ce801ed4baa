"""targeting answers leads' question "which rule did this lead come from"
(leads/attribution.py), registered in targeting's AppConfig.ready()."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from targeting.models import Offer


def offer_rule(*, visitor, offer_id, from_targeting: bool) -> int | None:
    """The offer named (the visitor's own), else, for a form opened from an offer,
    the visitor's latest accepted callback offer of the last day."""
    offers = Offer.objects.filter(visitor=visitor)
    if isinstance(offer_id, int) and not isinstance(offer_id, bool):
        return offers.filter(pk=offer_id).values_list("rule_id", flat=True).first()
    if not from_targeting:
        return None
    return (
        offers.filter(
            kind="callback",
            state=Offer.State.ACCEPTED,
            shown_at__gte=timezone.now() - timedelta(days=1),
        )
        .order_by("-shown_at")
        .values_list("rule_id", flat=True)
        .first()
    )
