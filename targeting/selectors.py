"""Selectors read: what counselors and managers see of visitors and rules (live
visitors, a visitor's journey, the managers' rules) and the offer history the
runtime's caps read. Scoped by the caller's sites; sync (the ORM)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from django.db.models import JSONField, OuterRef, QuerySet, Subquery

from chat.models import Conversation, CounselorProfile, Visitor
from targeting import clock, live
from targeting.engine.snapshot import url_host
from targeting.models import Offer, Rule, TrackEvent, VisitorProfile, VisitSession
from targeting.presence import PresenceUnavailable, presence

LIVE_MINUTES = 5
PAGES_PER_VISIT = 30
VISITS = 5


def counselor_visitor(
    *, counselor: CounselorProfile, public_id: UUID | str
) -> Visitor | None:
    """The visitor with this public id on one of the counselor's sites, else None."""
    return Visitor.objects.filter(
        public_id=public_id, site__in=counselor.sites.all()
    ).first()


def rules_of_counselor(*, counselor: CounselorProfile) -> QuerySet[Rule]:
    """The rules of the counselor's sites, by site, then rank."""
    return Rule.objects.filter(site__in=counselor.sites.all()).order_by(
        "site_id", "-priority", "id"
    )


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


# Live visitors.


def live_visitors(
    *,
    site_ids: Sequence[int],
    now: datetime | None = None,
    limit: int = 200,
    shown: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Visitors with a socket open now on any process (targeting.presence), each
    with their latest visit. When presence cannot be read (Redis down): visits
    active in the last LIVE_MINUTES, as an approximation. ``shown`` collects the
    visitor ids listed (for the access log)."""
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


# The journey.


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def visitor_journey(*, visitor: Visitor, now: datetime | None = None) -> dict:
    """Visits with their inflow, the pages of each with dwell, cart, purchases, CRM
    attributes, offers and past conversations. Built from the record plus, when the
    visitor is live in this process, the live snapshot's cart (the record lags by
    one flush)."""
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
