"""Capturing leads: from the callback-request form, from the queue ("call me back
instead"), from in-chat forms and from targeting offers.

Never lost, never doubled:
- the lead, its submission, consent records and the new-lead notice commit in one
  transaction before the caller answers "received";
- a submission's idempotency key is unique per site, so a double submit or a retry
  returns the first result;
- an open lead per normalised phone / e-mail is unique per site (partial indexes), so
  a second request from the same person joins their open lead, even when two
  arrive at the same moment (the loser of the race retries and finds the winner).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from chat.models import Conversation, Site, Visitor
from chat.services.conversations import conversation_close, open_conversation
from chat.services.visitors import visitor_from_token
from core.text import text_strip
from leads import attribution
from leads.forms import LeadInput
from leads.hours import open_state, slot_offered
from leads.models import (
    ConsentRecord,
    Lead,
    LeadEvent,
    LeadNotice,
    LeadSubmission,
)
from leads.services.availability import lead_settings_for, schedule_load
from leads.services.notices import notices_enqueue

ATTEMPTS = 3


@dataclass(frozen=True)
class CaptureResult:
    lead: Lead
    # The same submission again (idempotency key seen): nothing was written.
    duplicate: bool
    # A new submission joined the person's open lead instead of creating one.
    merged: bool


def callback_due(
    *, site: Site, team_id: int | None, callback_at: datetime | None, now: datetime
) -> datetime:
    """The chosen slot, or "as soon as possible": the SLA after the next opening."""
    if callback_at is not None:
        return callback_at
    config = lead_settings_for(site)
    state = open_state(schedule_load(site=site, team_id=team_id), now)
    start = now if state.open or state.opens_at is None else state.opens_at
    return start + timedelta(minutes=config.callback_sla_minutes)


def slot_is_valid(
    *, site: Site, team_id: int | None, start: datetime, now: datetime
) -> bool:
    """A slot the form offered: in business hours and in the future. The lead time
    is not re-applied, so a slot picked a few minutes ago is still accepted."""
    config = lead_settings_for(site)
    return slot_offered(
        schedule_load(site=site, team_id=team_id),
        now,
        start,
        days=config.slot_days,
        slot_minutes=config.slot_minutes,
        min_lead_minutes=0,
    )


def _open_lead(site: Site, data: LeadInput) -> Lead | None:
    base = Lead.objects.select_for_update().filter(
        site=site, status__in=Lead.OPEN_STATUSES
    )
    if data.phone:
        lead = base.filter(phone=data.phone).first()
        if lead is not None:
            return lead
    if data.email:
        return base.filter(email=data.email).first()
    return None


def _merge(lead: Lead, data: LeadInput, *, source: str, now: datetime, links: dict):
    """The person asked again: newest callback wish and message win, blanks fill."""
    changed = {}
    if data.callback_at or not lead.callback_at:
        lead.callback_at = data.callback_at
        lead.callback_due_at = links["due"]
        lead.overdue_since = None
        changed["callback_due_at"] = lead.callback_due_at.isoformat()
    if data.message:
        lead.message = data.message
    lead.name = data.name or lead.name
    lead.fields = {**lead.fields, **data.fields}
    lead.marketing_consent = lead.marketing_consent or data.marketing_consent
    if not lead.email and data.email and data.phone == lead.phone:
        # Fill it only when no other open lead owns it (checked by the index).
        if not Lead.objects.filter(
            site_id=lead.site_id, email=data.email, status__in=Lead.OPEN_STATUSES
        ).exists():
            lead.email = data.email
    if not lead.phone and data.phone and data.email == lead.email:
        if not Lead.objects.filter(
            site_id=lead.site_id, phone=data.phone, status__in=Lead.OPEN_STATUSES
        ).exists():
            lead.phone = data.phone
    for name in ("visitor", "conversation"):
        if links[name] is not None and getattr(lead, f"{name}_id") is None:
            setattr(lead, name, links[name])
    if lead.rule_id is None:
        lead.rule_id = links["rule_id"]
    lead.submissions_count += 1
    lead.updated_at = now
    lead.save()
    LeadEvent.objects.create(
        lead=lead,
        kind=LeadEvent.Kind.SUBMITTED,
        data={"source": source, **changed},
        created_at=now,
    )


def lead_capture(
    *,
    site: Site,
    source: str,
    data: LeadInput,
    idempotency_key: str,
    visitor: Visitor | None = None,
    conversation: Conversation | None = None,
    rule_id: int | None = None,
    team_id: int | None = None,
    ip: str | None = None,
    user_agent: str = "",
    language: str = "",
    now: datetime | None = None,
) -> CaptureResult:
    """Record a submission. Returns the lead, committed. Queues the team's new-lead
    notice (Celery, after commit) when a lead is created."""
    now = now or timezone.now()
    due = callback_due(
        site=site, team_id=team_id, callback_at=data.callback_at, now=now
    )
    links = {
        "visitor": visitor,
        "conversation": conversation,
        "rule_id": rule_id,
        "due": due,
    }
    for attempt in range(ATTEMPTS):
        try:
            return _capture_once(
                site=site,
                source=source,
                data=data,
                key=idempotency_key,
                links=links,
                team_id=team_id,
                ip=ip,
                # Recorded, not typed: refused characters removed (core.text).
                user_agent=text_strip(user_agent, max_len=300),
                language=text_strip(language, max_len=10),
                now=now,
            )
        except IntegrityError:
            # A concurrent submit of the same key or the same person won the race;
            # the next attempt finds its rows.
            if attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def callback_request_submit(
    *,
    site: Site,
    source: str,
    data: LeadInput,
    idempotency_key: str,
    visitor_token: object = None,
    offer_id: object = None,
    ip: str | None = None,
    user_agent: str = "",
    language: str = "",
    now: datetime | None = None,
) -> CaptureResult:
    """A callback request from the public form (`source`: offline_form,
    queue_overflow or targeting, already one of those). The visitor's token links
    the lead to the visitor and their open conversation; the offer it came from
    (leads.attribution) names the rule, which makes it a targeting lead, and a
    targeting lead without an offer of theirs is an offline-form lead. A visitor who
    chose a callback over waiting leaves the queue (their conversation is closed,
    after the lead is committed)."""
    visitor = None
    if isinstance(visitor_token, str) and len(visitor_token) <= 400:
        visitor = visitor_from_token(site=site, token=visitor_token)
    conversation = open_conversation(visitor=visitor) if visitor else None
    rule_id = attribution.lead_rule(
        visitor=visitor,
        offer_id=offer_id,
        from_targeting=source == Lead.Source.TARGETING,
    )
    if rule_id is not None:
        source = Lead.Source.TARGETING  # a targeting rule's callback offer
    elif source == Lead.Source.TARGETING:
        source = Lead.Source.OFFLINE_FORM  # claimed, but no offer of theirs
    result = lead_capture(
        site=site,
        source=source,
        data=data,
        idempotency_key=idempotency_key,
        visitor=visitor,
        conversation=conversation,
        rule_id=rule_id,
        ip=ip,
        user_agent=user_agent,
        language=language,
        now=now,
    )
    if (
        not result.duplicate
        and conversation is not None
        and source == Lead.Source.QUEUE_OVERFLOW
        and conversation.status == Conversation.Status.QUEUED
    ):
        # They chose a callback over waiting: leave the queue.
        conversation_close(conversation_id=conversation.pk, visitor=visitor)
    return result


def _capture_once(
    *, site, source, data, key, links, team_id, ip, user_agent, language, now
) -> CaptureResult:
    with transaction.atomic():
        seen = (
            LeadSubmission.objects.filter(site=site, idempotency_key=key)
            .select_related("lead")
            .first()
        )
        if seen is not None:
            return CaptureResult(seen.lead, duplicate=True, merged=False)
        existing = _open_lead(site, data)
        merged = existing is not None
        if existing is not None:
            lead = existing
            _merge(lead, data, source=source, now=now, links=links)
        else:
            lead = Lead.objects.create(
                site=site,
                team_id=team_id,
                source=source,
                name=data.name,
                phone=data.phone,
                email=data.email,
                message=data.message,
                fields=data.fields,
                language=language,
                marketing_consent=data.marketing_consent,
                callback_at=data.callback_at,
                callback_due_at=links["due"],
                visitor=links["visitor"],
                conversation=links["conversation"],
                assignee_id=(
                    links["conversation"].assignee_id if links["conversation"] else None
                ),
                rule_id=links["rule_id"],
                inflow=data.inflow,
                created_at=now,
                updated_at=now,
            )
            LeadEvent.objects.create(
                lead=lead,
                kind=LeadEvent.Kind.CREATED,
                data={"source": source},
                created_at=now,
            )
        submission = LeadSubmission.objects.create(
            lead=lead,
            site=site,
            idempotency_key=key,
            source=source,
            data={
                "name": data.name,
                "phone": data.phone,
                "email": data.email,
                "message": data.message,
                "callback_at": data.callback_at.isoformat()
                if data.callback_at
                else None,
                "fields": data.fields,
                "inflow": data.inflow,
            },
            ip=ip,
            user_agent=user_agent,
            created_at=now,
        )
        ConsentRecord.objects.bulk_create(
            [
                ConsentRecord(
                    lead=lead,
                    submission=submission,
                    site=site,
                    kind=kind,
                    granted=granted,
                    notice_version=data.notice_version,
                    language=language,
                    ip=ip,
                    user_agent=user_agent,
                    created_at=now,
                )
                for kind, granted in (
                    (ConsentRecord.Kind.COLLECTION, True),
                    (ConsentRecord.Kind.MARKETING, data.marketing_consent),
                )
            ]
        )
        if not merged:
            notice = LeadNotice.objects.create(
                lead=lead, kind=LeadNotice.Kind.NEW_LEAD, created_at=now
            )
            notices_enqueue(notice_ids=[notice.pk])
    return CaptureResult(lead, duplicate=False, merged=merged)
