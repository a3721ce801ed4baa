"""Offers: recording an exposure (treatment or holdout), the visitor's answer, and
the timeout that turns an unanswered offer into "ignored".

An accepted chat invitation opens a conversation with the rule's context: the
counselor sees which rule invited the visitor and what they were looking at.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from chat.models import CounselorProfile, Message, Site, Visitor
from chat.services.conversations import conversation_start
from chat.services.messages import SendItem, messages_append
from core.errors import ServiceError
from targeting import clock
from targeting.engine.actions import render_action
from targeting.engine.snapshot import Snapshot
from targeting.models import CouponPool, Offer
from targeting.services.coupons import coupon_assign
from targeting.services.rules import HOLDOUT, RuleSpec, variant_for

ANSWERS = {"accepted": Offer.State.ACCEPTED, "rejected": Offer.State.REJECTED}


def offer_frame(offer: Offer, *, timeout: int) -> dict[str, Any]:
    return {
        "type": "offer",
        "offer": {
            "id": offer.pk,
            "rule": offer.rule_id,
            "kind": offer.kind,
            # Keys with "_" are the server's own (a manual invitation's counselor).
            **{k: v for k, v in offer.payload.items() if not k.startswith("_")},
            "expires_in": timeout,
        },
    }


def offer_present(
    *,
    site: Site,
    visitor: Visitor,
    spec: RuleSpec,
    snapshot: Snapshot,
    counselor_available: bool,
    now: datetime | None = None,
) -> tuple[Offer | None, dict | None]:
    """Record the exposure of `spec` to the visitor and return (offer, frame). The
    frame is None for the holdout group (recorded as "held_out", nothing shown).
    A chat invitation with no free counselor, or a coupon whose pool has no code
    left, becomes the rule's fallback (recorded with the fallback's kind); with no
    fallback (or a fallback coupon with no code either), nothing is recorded."""
    now = now or clock.now()
    action: dict | None = spec.action
    if spec.action["kind"] == "chat_invite" and not counselor_available:
        action = spec.fallback
        if action is None:
            return None, None
    variant = variant_for(spec.id, visitor.pk, spec.holdout_percent)
    with transaction.atomic():
        coupon = None
        while action is not None and action["kind"] == "coupon" and variant != HOLDOUT:
            pool_id = action.get("pool")
            pool = (
                CouponPool.objects.filter(pk=pool_id, site=site).first()
                if isinstance(pool_id, int)
                else None
            )
            coupon = coupon_assign(pool=pool, visitor=visitor) if pool else None
            if coupon is not None:
                break
            # The pool is empty: the fallback, once (a fallback has no fallback).
            action = spec.fallback if action is spec.action else None
        if action is None:
            return None, None
        payload = render_action(
            action,
            snapshot,
            name=visitor.name or None,
            coupon_code=coupon.code if coupon else None,
        )
        offer = Offer.objects.create(
            rule_id=spec.id,
            site=site,
            visitor=visitor,
            session_key=snapshot.session.id,
            variant=variant,
            kind=action["kind"],
            payload=payload,
            coupon=coupon,
            state=Offer.State.HELD_OUT if variant == HOLDOUT else Offer.State.SHOWN,
            shown_at=now,
        )
    if variant == HOLDOUT:
        return offer, None
    return offer, offer_frame(offer, timeout=spec.offer_timeout_seconds)


def invitation_text(payload: dict[str, Any]) -> str:
    """The words of a chat invitation as the visitor saw them: title, then body (a
    manual invitation's title is only the counselor's name, shown by the widget as
    the sender)."""
    persona = payload.get("persona") or {}
    title = payload.get("title") or ""
    if title == persona.get("name"):
        title = ""
    return "\n".join(part for part in (title, payload.get("body") or "") if part)


def _journey(snapshot: Snapshot | None) -> str:
    if snapshot is None:
        return ""
    page = snapshot.page
    parts = [f"on {page.title or page.url}"]
    inflow = snapshot.session.inflow
    if inflow.utm_source or inflow.referrer_host:
        parts.append(f"from {inflow.utm_source or inflow.referrer_host}")
    if snapshot.cart.count:
        parts.append(f"cart {snapshot.cart.count} item(s), {snapshot.cart.value:,.0f}")
    return ", ".join(parts)


def offer_answer(
    *,
    visitor: Visitor,
    offer_id: int,
    outcome: str,
    snapshot: Snapshot | None = None,
    now: datetime | None = None,
) -> Offer:
    """The visitor accepted or rejected an offer still shown. Accepting a chat
    invitation opens (or reuses) their conversation and tells the counselor why."""
    if outcome not in ANSWERS:
        raise ServiceError("bad_field", "outcome must be accepted or rejected.")
    now = now or clock.now()
    with transaction.atomic():
        offer = (
            Offer.objects.select_for_update()
            .select_related("rule")
            .filter(pk=offer_id, visitor=visitor)
            .first()
        )
        if offer is None:
            raise ServiceError("not_found", "No such offer.")
        if offer.state != Offer.State.SHOWN:
            return offer  # answered, or timed out, already: the first word stands
        offer.state = ANSWERS[outcome]
        offer.answered_at = now
        offer.save(update_fields=["state", "answered_at"])
    if offer.state == Offer.State.ACCEPTED and offer.kind == "chat_invite":
        # What the invitation said opens the chat, for both sides to read.
        # A counselor's own invitation (Live visitors) names them: they take it.
        named = offer.payload.get("_counselor")
        conversation, _ = conversation_start(
            visitor=visitor,
            now=now,
            opening=invitation_text(offer.payload),
            opening_key=f"invite-{offer.pk}",
            prefer=CounselorProfile.objects.filter(pk=named).first() if named else None,
        )
        Offer.objects.filter(pk=offer.pk).update(conversation=conversation)
        offer.conversation = conversation
        note = f"Invited by the rule \u201c{offer.rule.name}\u201d"
        journey = _journey(snapshot)
        messages_append(
            items=[
                SendItem(
                    conversation_id=conversation.pk,
                    sender_kind=Message.Sender.SYSTEM,
                    sender_id=0,
                    client_id=f"offer-{offer.pk}",
                    kind=Message.Kind.NOTE,
                    body=f"{note}: {journey}." if journey else f"{note}.",
                )
            ]
        )
    return offer


def offers_expire(*, now: datetime | None = None, grace: int = 30) -> int:
    """Offers still shown past their rule's timeout (plus a grace for the socket's
    own timer) become "ignored" (beat, every minute; sockets that closed first)."""
    now = now or clock.now()
    shown = Offer.objects.filter(
        state=Offer.State.SHOWN, shown_at__lte=now - timedelta(seconds=grace)
    ).values_list("pk", "shown_at", "rule__offer_timeout_seconds")[:5000]
    due = [
        pk
        for pk, shown_at, timeout in shown
        if shown_at + timedelta(seconds=timeout + grace) <= now
    ]
    # The state condition again: an answer may land between the read and here.
    return Offer.objects.filter(pk__in=due, state=Offer.State.SHOWN).update(
        state=Offer.State.IGNORED, answered_at=now
    )


def offer_ignore(*, offer_id: int, now: datetime | None = None) -> bool:
    """The socket's own timeout: still shown -> ignored."""
    return bool(
        Offer.objects.filter(pk=offer_id, state=Offer.State.SHOWN).update(
            state=Offer.State.IGNORED, answered_at=now or clock.now()
        )
    )
