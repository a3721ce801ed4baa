"""The visitor's journey for counselors: visits with their inflow, the pages of each
with dwell, cart, purchases, CRM attributes, offers and past conversations.

Served at GET /api/visitors/<public id>/journey/ to counselors of the visitor's site;
the console shows it beside the chat. Built from the record plus, when the visitor is
live in this process, the live snapshot's cart (the record lags by one flush).
"""

from __future__ import annotations

from datetime import datetime

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from chat.models import Conversation, Visitor
from leads.models import AccessLog
from leads.services.privacy import personal_data_viewed
from targeting import clock, live
from targeting.models import Offer, TrackEvent, VisitorProfile, VisitSession
from targeting.presence import presence

PAGES_PER_VISIT = 30
VISITS = 5


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def visitor_journey(*, visitor: Visitor, now: datetime | None = None) -> dict:
    now = now or clock.now()
    profile = VisitorProfile.objects.filter(visitor=visitor).first()
    visits = list(
        VisitSession.objects.filter(visitor=visitor).order_by("-started_at")[:VISITS]
    )
    keys = [v.key for v in visits]
    events = list(
        TrackEvent.objects.filter(visitor=visitor, session_key__in=keys)
        .exclude(kind__in=["session", "identify"])
        .order_by("at", "id")
        .values_list("session_key", "kind", "at", "url", "data")
    )
    by_visit: dict[str, list] = {key: [] for key in keys}
    for key, kind, at, url, data in events:
        by_visit[key].append((kind, at, url, data))
    out_visits = []
    for visit in visits:
        pages, other = [], []
        rows = by_visit[visit.key]
        views = [r for r in rows if r[0] == "page_view"]
        first = max(0, len(views) - PAGES_PER_VISIT)
        for i in range(first, len(views)):
            _, at, url, data = views[i]
            until = views[i + 1][1] if i + 1 < len(views) else None
            pages.append(
                {
                    "at": _ts(at),
                    "url": url,
                    "title": data.get("title"),
                    "category": data.get("category"),
                    "product": (data.get("product") or {}).get("name")
                    or (data.get("product") or {}).get("id"),
                    # The last page of the latest visit is still open: dwell so far.
                    "dwell_seconds": round(((until or now) - at).total_seconds())
                    if until or visit is visits[0]
                    else None,
                }
            )
        for kind, at, _url, data in rows:
            if kind in ("search", "cart_add", "cart_remove", "checkout", "purchase"):
                other.append({"kind": kind, "at": _ts(at), **_brief(kind, data)})
        out_visits.append(
            {
                "started_at": _ts(visit.started_at),
                "device": visit.device,
                "inflow": {
                    "referrer": visit.referrer or None,
                    "utm_source": visit.utm_source or None,
                    "utm_medium": visit.utm_medium or None,
                    "utm_campaign": visit.utm_campaign or None,
                    "keyword": visit.keyword or None,
                    "landing": visit.landing or None,
                },
                "pages": pages,
                "events": other[-30:],
            }
        )
    entry = live.live_get(visitor.pk)
    cart = None
    if entry is not None:
        items = entry.snapshot.cart.items
        cart = {
            "items": [
                {
                    "product": i.product,
                    "category": i.category,
                    "qty": i.qty,
                    "price": i.price,
                }
                for i in items
            ],  # fmt: skip
            "value": entry.snapshot.cart.value,
        }
    offers = Offer.objects.filter(visitor=visitor).select_related("rule")
    return {
        "visitor": {"public_id": str(visitor.public_id), "name": str(visitor)},
        "live": _live(visitor.pk, entry),
        "visits_count": profile.visits if profile else len(visits),
        "first_visit_at": _ts(profile.first_visit_at) if profile else None,
        "user_id": profile.user_id if profile else "",
        "crm": profile.crm if profile else {},
        "cart": cart,
        "visits": out_visits,
        "offers": [
            {
                "rule": o.rule.name,
                "kind": o.kind,
                "state": o.state,
                "shown_at": _ts(o.shown_at),
            }
            for o in offers.order_by("-shown_at")[:10]
        ],  # fmt: skip
        "conversations": [
            {"id": c.pk, "status": c.status, "created_at": _ts(c.created_at)}
            for c in Conversation.objects.filter(visitor=visitor).order_by(
                "-created_at"
            )[:10]
        ],
    }


def _live(visitor_id: int, entry) -> bool:
    """A socket of theirs is open on any process (this one's count if Redis is
    down)."""
    present = presence.is_present(visitor_id)
    if present is None:
        return entry is not None and entry.sockets > 0
    return present


def _brief(kind: str, data: dict) -> dict:
    if kind == "search":
        return {"query": data.get("query")}
    if kind in ("cart_add", "cart_remove"):
        product = data.get("product") or {}
        return {"product": product.get("name") or product.get("id"),
                "qty": data.get("qty")}  # fmt: skip
    if kind == "checkout":
        return {"step": data.get("step")}
    return {"order": data.get("order"), "amount": data.get("amount")}


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def journey(request, public_id):
    profile = getattr(request.user, "counselor", None)
    if profile is None:
        raise PermissionDenied("Only counselors see visitors' journeys.")
    visitor = Visitor.objects.filter(
        public_id=public_id, site__in=profile.sites.all()
    ).first()
    if visitor is None:
        raise Http404
    body = visitor_journey(visitor=visitor)
    personal_data_viewed(
        request=request,
        action=AccessLog.Action.JOURNEY,
        site_id=visitor.site_id,
        visitor_ids=[visitor.pk],
    )
    return Response(body)


@extend_schema(responses=OpenApiTypes.OBJECT)
@api_view(["GET"])
def tracking_stats(request):
    """Tracking events accepted and refused (malformed, unverified), all processes."""
    if getattr(request.user, "counselor", None) is None:
        raise PermissionDenied("Only counselors and managers.")
    from targeting.writer import counters

    return Response(counters())
