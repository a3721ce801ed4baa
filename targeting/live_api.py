"""Live visitors for counselors: who is on the site now (a socket open on any
process: targeting.presence), where, for how long, from where; and a manual chat
invitation.

GET  /api/visitors/live/?site=<id>          counselors of the site
POST /api/visitors/<public id>/invite/      {"message": optional text}
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import JSONField, OuterRef, Subquery
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response

from chat import events as chat_events
from chat.models import Visitor
from core import realtime
from leads.models import AccessLog
from leads.services.privacy import personal_data_viewed
from targeting import clock, live
from targeting.engine.snapshot import url_host
from targeting.models import Offer, Rule, TrackEvent, VisitSession
from targeting.presence import PresenceUnavailable, presence
from targeting.services.offers import offer_frame

LIVE_MINUTES = 5
MANUAL_RULE = "Manual invitation"


def _profile(request):
    profile = getattr(request.user, "counselor", None)
    if profile is None:
        raise PermissionDenied("Only counselors see live visitors.")
    return profile


def live_visitors(
    *, site_ids, now=None, limit: int = 200, shown: list | None = None
) -> list[dict]:
    """Visitors with a socket open now on any process (targeting.presence), each
    with their latest visit. When presence cannot be read (Redis down): visits
    active in the last LIVE_MINUTES, as an approximation."""
    now = now or clock.now()
    pages = TrackEvent.objects.filter(
        visitor=OuterRef("visitor"), session_key=OuterRef("key"), kind="page_view"
    ).order_by("-at")
    try:
        present = presence.present_ids()
    except PresenceUnavailable:
        visits = VisitSession.objects.filter(
            visitor__site__in=site_ids,
            last_seen_at__gte=now - timedelta(minutes=LIVE_MINUTES),
        )
    else:
        latest = VisitSession.objects.filter(visitor=OuterRef("visitor")).order_by(
            "-last_seen_at", "-pk"
        )
        visits = VisitSession.objects.filter(
            visitor__site__in=site_ids,
            visitor_id__in=present,
            pk=Subquery(latest.values("pk")[:1]),
        )
    rows = (
        visits.select_related("visitor")
        .annotate(
            page_url=Subquery(pages.values("url")[:1]),
            page_at=Subquery(pages.values("at")[:1]),
            page_data=Subquery(pages.values("data")[:1], output_field=JSONField()),
        )
        .order_by("-last_seen_at")[:limit]
    )
    out = []
    for row in rows:
        if shown is not None:
            shown.append(row.visitor_id)
        data = row.page_data or {}
        entry = live.live_get(row.visitor_id)
        cart = entry.snapshot.cart if entry is not None else None
        out.append(
            {
                "visitor": str(row.visitor.public_id),
                "name": str(row.visitor),
                "site": row.visitor.site_id,
                "page": {
                    "url": row.page_url,
                    "title": data.get("title"),
                    "category": data.get("category"),
                    "since": row.page_at.isoformat() if row.page_at else None,
                },
                "time_on_site_seconds": round((now - row.started_at).total_seconds()),
                "source": row.utm_source or url_host(row.referrer) or "direct",
                "device": row.device,
                "cart": {"items": cart.count, "value": cart.value} if cart else None,
                "last_seen_at": row.last_seen_at.isoformat(),
            }
        )
    return out


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def live_list(request):
    profile = _profile(request)
    site_ids = list(profile.sites.values_list("pk", flat=True))
    wanted = request.query_params.get("site")
    if wanted:
        if not wanted.isdigit() or int(wanted) not in site_ids:
            raise Http404
        site_ids = [int(wanted)]
    shown: list[int] = []
    visitors = live_visitors(site_ids=site_ids, shown=shown)
    personal_data_viewed(
        request=request,
        action=AccessLog.Action.VISITORS,
        site_id=site_ids[0] if len(site_ids) == 1 else None,
        visitor_ids=shown,
    )
    return Response({"visitors": visitors})


def manual_rule(site) -> Rule:
    """Manual invitations are recorded as offers of an inactive rule of the site,
    so they show in results like any other."""
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


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["POST"])
def invite(request, public_id):
    """A counselor invites a live visitor to chat: an `offer` frame (chat_invite)
    from the counselor, on every socket of the visitor."""
    profile = _profile(request)
    visitor = Visitor.objects.filter(
        public_id=public_id, site__in=profile.sites.all()
    ).first()
    if visitor is None:
        raise Http404
    message = request.data.get("message") or "Can I help you with anything?"
    if not isinstance(message, str) or len(message) > 500:
        raise ValidationError({"message": "At most 500 characters of text."})
    now = clock.now()
    offer = Offer.objects.create(
        rule=manual_rule(visitor.site),
        site=visitor.site,
        visitor=visitor,
        kind="chat_invite",
        payload={
            "title": f"{profile.display_name}",
            "body": message,
            "persona": {"name": profile.display_name, "avatar": None},
            # "Chat now" goes to the counselor it names (never sent to the widget).
            "_counselor": profile.pk,
            "placement": "corner",
            "image": None,
            "cta": None,
        },
        state=Offer.State.SHOWN,
        shown_at=now,
    )
    realtime.publish(
        chat_events.visitor_group(visitor.pk), offer_frame(offer, timeout=120)
    )
    return Response({"offer": offer.pk}, status=status.HTTP_201_CREATED)
