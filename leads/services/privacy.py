"""Personal data of leads (Korean PIPA, GDPR): the access log, the retention purge,
and one person's export and erasure.

Where a person's data lives (keep this list true when a model gains a field):
- leads.Lead: name, phone, e-mail, message, fields, inflow;
- leads.LeadSubmission: data, ip, user agent;  leads.ConsentRecord: ip, user agent;
- leads.LeadEvent: notes;  leads.LeadNotice: nothing personal;
- chat.Message of kind "form_reply": the values typed into an in-chat form;
- chat.Visitor (name, ip, user agent) and its conversations and messages, and the
  targeting record hanging off it (VisitorProfile: user id and CRM attributes;
  VisitSession; TrackEvent), when the person asks for erasure: deleting the visitor
  cascades to all of them.
The access log keeps lead ids and masked filters, never the data itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from chat.models import Conversation, Message, Site, Visitor
from core.text import text_strip
from leads.models import AccessLog, Lead, LeadSubmission
from leads.services.availability import lead_settings_for

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django.http import HttpRequest
    from rest_framework.request import Request

    # Django's or DRF's: what is read (user, path, META) both have.
    AnyRequest = HttpRequest | Request


def client_ip(request: AnyRequest) -> str | None:
    # Behind deploy/nginx.conf, nginx overwrites X-Forwarded-For with the client's
    # address and daphne --proxy-headers makes it REMOTE_ADDR. Nothing sets
    # X-Real-IP, so a client could choose it (and dodge the form's rate limit).
    return request.META.get("REMOTE_ADDR") or None


LOGGED_IDS = 1000


def _staff(*, request=None, user=None) -> User | None:
    """The signed-in staff user of the request (or the one given), else None."""
    user = user if user is not None else getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return cast("User", user)


def access_log(
    *,
    request: AnyRequest | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    action: str,
    site_id: int | None = None,
    lead_ids: Iterable[int] = (),
    count: int | None = None,
    query: str = "",
    now: datetime | None = None,
    visitor_ids: Iterable[int] = (),
    conversation_ids: Iterable[int] = (),
) -> AccessLog:
    """One row per view, list, export, erasure or purge of lead personal data. At
    most LOGGED_IDS ids are kept; `count` says how many leads were concerned."""
    staff = _staff(request=request, user=user)
    ids = list(lead_ids)
    return AccessLog.objects.create(
        created_at=now or timezone.now(),
        user=staff,
        username=staff.get_username() if staff is not None else "",
        action=action,
        site_id=site_id,
        lead_ids=ids[:LOGGED_IDS],
        visitor_ids=list(visitor_ids)[:LOGGED_IDS],
        conversation_ids=list(conversation_ids)[:LOGGED_IDS],
        count=len(ids) if count is None else count,
        query=text_strip(query, max_len=500),
        # The path without its query: the query can hold the search text. Path and
        # header are recorded, not typed: refused characters removed (core.text).
        path=(text_strip(request.path, max_len=300) if request is not None else ""),
        ip=client_ip(request) if request is not None else None,
        user_agent=(
            text_strip(request.META.get("HTTP_USER_AGENT", ""), max_len=300)
            if request is not None
            else ""
        ),
    )


COALESCE = timedelta(minutes=5)


def personal_data_viewed(
    *,
    action: str,
    request: AnyRequest | None = None,
    user: AbstractBaseUser | AnonymousUser | None = None,
    site_id: int | None = None,
    visitor_ids: Iterable[int] = (),
    conversation_ids: Iterable[int] = (),
    via: str = "",
    now: datetime | None = None,
) -> AccessLog:
    """Log a read of visitors' personal data by staff outside the lead list: a
    visitor's journey (CRM attributes, browsing), a chat transcript (REST or the
    counselor socket's `sync`), conversation lists, live visitors, a rule preview.
    Every read path calls this one helper.

    One row per view. The same view (user, action, site, visitors, conversations)
    again within COALESCE of its row's latest is counted on that row (``repeats``,
    ``last_at``): the console refreshing an open panel every few seconds stays one
    row per sitting, and every read is still accounted for."""
    now = now or timezone.now()
    staff = _staff(request=request, user=user)
    visitors = sorted(set(visitor_ids))
    conversations = sorted(set(conversation_ids))
    if staff is not None:
        same = AccessLog.objects.filter(
            Q(site__isnull=True) if site_id is None else Q(site_id=site_id),
            user=staff,
            action=action,
            visitor_ids=visitors[:LOGGED_IDS],
            conversation_ids=conversations[:LOGGED_IDS],
            query=via,
        )
        recent = (
            same.filter(
                Q(last_at__gte=now - COALESCE)
                | Q(last_at__isnull=True, created_at__gte=now - COALESCE)
            )
            .order_by("-created_at", "-id")
            .first()
        )
        if recent is not None:
            AccessLog.objects.filter(pk=recent.pk).update(
                repeats=F("repeats") + 1, last_at=now
            )
            return recent
    return access_log(
        request=request,
        user=staff,
        action=action,
        site_id=site_id,
        count=len(visitors) or len(conversations),
        query=via,
        now=now,
        visitor_ids=visitors,
        conversation_ids=conversations,
    )


def _scrub_form_replies(leads: list[Lead]) -> int:
    """Blank the in-chat form replies that carried these leads' data."""
    refs = [lead.reference for lead in leads if lead.conversation_id]
    if not refs:
        return 0
    replies = Message.objects.filter(
        kind=Message.Kind.FORM_REPLY, payload__lead__in=refs
    ).values_list("pk", "payload")
    count = 0
    for pk, payload in replies:
        # Keep which form it answered (clients mark that form as answered).
        form_seq = payload.get("form_seq") if isinstance(payload, dict) else None
        count += Message.objects.filter(pk=pk).update(
            body="", payload={"erased": True, "form_seq": form_seq}
        )
    return count


def leads_purge_expired(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Destroy leads not touched for longer than their site's retention period,
    with their submissions, consents, history, notices and form replies."""
    now = now or timezone.now()
    destroyed = 0
    # Every site, not only those with a settings row: the default retention applies.
    for site in Site.objects.all():
        config = lead_settings_for(site)
        cutoff = now - timedelta(days=config.retention_days)
        while True:
            with transaction.atomic():
                expired = list(
                    Lead.objects.filter(site_id=config.site_id, updated_at__lt=cutoff)
                    .only("pk", "reference", "conversation_id")
                    .order_by("pk")[:batch]
                )
                if not expired:
                    break
                _scrub_form_replies(expired)
                ids = [lead.pk for lead in expired]
                Lead.objects.filter(pk__in=ids).delete()
                access_log(
                    action=AccessLog.Action.PURGE,
                    site_id=config.site_id,
                    lead_ids=ids,
                    query=f"retention_days={config.retention_days}",
                    now=now,
                )
            destroyed += len(expired)
    return destroyed


def _person_leads(site: Site, *, phone: str, email: str):
    match = Q()
    if phone:
        match |= Q(phone=phone) | Q(submissions__data__phone=phone)
    if email:
        match |= Q(email=email) | Q(submissions__data__email=email)
    if not match:
        return Lead.objects.none()
    return Lead.objects.filter(match, site=site).distinct()


def person_export(
    *, site: Site, phone: str = "", email: str = "", request: AnyRequest | None = None
) -> dict:
    """Everything held about one person in a site (data portability / access)."""
    leads = list(
        _person_leads(site, phone=phone, email=email).prefetch_related(
            "submissions", "consents", "events"
        )
    )
    visitor_ids = {lead.visitor_id for lead in leads if lead.visitor_id}
    conversations = (
        Conversation.objects.filter(visitor_id__in=visitor_ids)
        .prefetch_related("messages")
        .order_by("pk")
    )
    access_log(
        request=request,
        action=AccessLog.Action.PERSON_EXPORT,
        site_id=site.pk,
        lead_ids=[lead.pk for lead in leads],
    )
    return {
        "site": site.name,
        "exported_at": timezone.now().isoformat(),
        "leads": [
            {
                "reference": lead.reference,
                "source": lead.source,
                "status": lead.status,
                "name": lead.name,
                "phone": lead.phone,
                "email": lead.email,
                "message": lead.message,
                "fields": lead.fields,
                "inflow": lead.inflow,
                "marketing_consent": lead.marketing_consent,
                "callback_at": _iso(lead.callback_at),
                "created_at": _iso(lead.created_at),
                "submissions": [
                    {
                        "at": _iso(s.created_at),
                        "source": s.source,
                        "data": s.data,
                        "ip": s.ip,
                    }
                    for s in lead.submissions.all()
                ],
                "consents": [
                    {
                        "kind": c.kind,
                        "granted": c.granted,
                        "notice_version": c.notice_version,
                        "at": _iso(c.created_at),
                        "ip": c.ip,
                    }
                    for c in lead.consents.all()
                ],
                "history": [
                    {"kind": e.kind, "at": _iso(e.created_at), "text": e.text}
                    for e in lead.events.all()
                ],
            }
            for lead in leads
        ],
        "conversations": [
            {
                "id": conv.pk,
                "created_at": _iso(conv.created_at),
                "messages": [
                    {"at": _iso(m.created_at), "from": m.sender_kind, "body": m.body}
                    for m in conv.messages.all()
                    if m.kind not in Message.STAFF_ONLY_KINDS
                ],
            }
            for conv in conversations
        ],
    }


def person_erase(
    *, site: Site, phone: str = "", email: str = "", request: AnyRequest | None = None
) -> dict[str, int]:
    """Erase one person: their leads (and everything hanging off them), submissions
    that carried their phone or e-mail, and the visitors the leads were linked to
    with their conversations. Returns what was removed, by table."""
    with transaction.atomic():
        leads = list(_person_leads(site, phone=phone, email=email))
        lead_ids = [lead.pk for lead in leads]
        visitor_ids = {lead.visitor_id for lead in leads if lead.visitor_id}
        removed = {"form_replies": _scrub_form_replies(leads)}
        # delete() counts the cascade too (consents, events, conversations...);
        # report the rows of each table the console names.
        stray = (
            LeadSubmission.objects.filter(site=site)
            .exclude(lead_id__in=lead_ids)
            .filter(
                (Q(data__phone=phone) if phone else Q(pk__in=[]))
                | (Q(data__email=email) if email else Q(pk__in=[]))
            )
        )
        removed["submissions"] = _deleted(stray, LeadSubmission)
        removed["leads"] = _deleted(Lead.objects.filter(pk__in=lead_ids), Lead)
        removed["visitors"] = _deleted(
            Visitor.objects.filter(pk__in=visitor_ids, site=site), Visitor
        )
        access_log(
            request=request,
            action=AccessLog.Action.ERASE,
            site_id=site.pk,
            lead_ids=lead_ids,
        )
    return removed


def _deleted(queryset, model) -> int:
    return queryset.delete()[1].get(model._meta.label, 0)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
