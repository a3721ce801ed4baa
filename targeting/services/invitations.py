"""A counselor's own chat invitation to a live visitor (the console's Live visitors
list): recorded as an offer, shown on every socket of the visitor."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from chat import events as chat_events
from chat.models import CounselorProfile, Site, Visitor
from core import realtime
from targeting import clock
from targeting.models import Offer, Rule
from targeting.services.offers import offer_frame

MANUAL_RULE = "Manual invitation"
DEFAULT_MESSAGE = "Can I help you with anything?"
MESSAGE_MAX = 500
TIMEOUT_SECONDS = 120


def manual_rule_get(*, site: Site) -> Rule:
    """Manual invitations are recorded as offers of an inactive rule of the site,
    so they show in results like any other (created on first use)."""
    rule, _ = Rule.objects.get_or_create(
        site=site,
        name=MANUAL_RULE,
        defaults={
            "active": False,
            "condition": {"field": "visits", "gte": 0},
            "action": {"kind": "chat_invite", "title": "Can I help?"},
        },
    )
    return rule


def invitation_send(
    *,
    counselor: CounselorProfile,
    visitor: Visitor,
    message: str | None = None,
    now: datetime | None = None,
) -> Offer:
    """Record a chat invitation from ``counselor`` (an offer of the site's manual
    rule, shown at ``now``) and publish its ``offer`` frame to the visitor's group
    (every socket of theirs) once committed. Its "Chat now" goes to the counselor
    it names. Preconditions: the visitor is on one of the counselor's sites;
    ``message`` is text of at most MESSAGE_MAX characters (None: the default)."""
    with transaction.atomic():
        offer = Offer.objects.create(
            rule=manual_rule_get(site=visitor.site),
            site=visitor.site,
            visitor=visitor,
            kind="chat_invite",
            payload={
                "title": f"{counselor.display_name}",
                "body": message or DEFAULT_MESSAGE,
                "persona": {"name": counselor.display_name, "avatar": None},
                # "Chat now" goes to the counselor it names (never sent to the widget).
                "_counselor": counselor.pk,
                "placement": "corner",
                "image": None,
                "cta": None,
            },
            state=Offer.State.SHOWN,
            shown_at=now or clock.now(),
        )
        realtime.publish(
            chat_events.visitor_group(visitor.pk),
            offer_frame(offer, timeout=TIMEOUT_SECONDS),
        )
    return offer
