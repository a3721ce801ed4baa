"""Outgoing notices: the team's new-lead e-mail, the assignee's callback reminder and
the overdue flag.

A notice is a row (unique per lead, kind and key) that a Celery task claims by a
conditional UPDATE before it sends, and marks sent after. A retried or redelivered
task finds it claimed or sent and does nothing, so the e-mail goes out once. A send
that fails puts the claim back and the task retries; a worker killed between the
SMTP accept and the mark leaves the claim, which `notices_recover` releases after
`STALE_CLAIM`: that one case is at-least-once (documented in architecture.md).

Notices reach the workers through `notices_enqueue`, after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation

from chat import events as chat_events
from chat.models import CounselorProfile
from core import realtime
from core.timefmt import staff_time
from leads import events
from leads.forms import display_phone
from leads.models import Lead, LeadEvent, LeadNotice
from leads.services.availability import lead_settings_for

STALE_CLAIM = timedelta(minutes=10)
# The task that sends one notice (leads/tasks.py), found by name in Celery's registry:
# the task module imports this one, and this one does not import it back.
NOTICE_SEND_TASK = "leads.tasks.lead_notice_send"
EVENT_OF: dict[str, str] = {
    LeadNotice.Kind.NEW_LEAD: LeadEvent.Kind.NOTIFIED,
    LeadNotice.Kind.REMINDER: LeadEvent.Kind.REMINDED,
    LeadNotice.Kind.OVERDUE: LeadEvent.Kind.OVERDUE,
}


def _recipients(lead: Lead, kind: str) -> list[str]:
    team = lead_settings_for(lead.site).recipients
    if kind == LeadNotice.Kind.NEW_LEAD or lead.assignee is None:
        if team:
            return team
        managers = CounselorProfile.objects.filter(
            sites=lead.site_id, role=CounselorProfile.Role.MANAGER
        ).exclude(user__email="")
        return sorted({m.user.email for m in managers.select_related("user")})
    email = lead.assignee.user.email
    return [email] if email else team


def _local(value: datetime | None, lead: Lead) -> str:
    """In the site's zone, labelled: "2026-03-11 14:05 KST" (core/timefmt.py)."""
    return staff_time(value, lead.site.zone)


SUBJECTS = {
    LeadNotice.Kind.NEW_LEAD: "New callback request {ref}",
    # A new lead says what it is: a form answered in a chat asked for no callback.
    (LeadNotice.Kind.NEW_LEAD, Lead.Source.IN_CHAT_FORM): "New lead from a chat {ref}",
    LeadNotice.Kind.REMINDER: "Call back now: {ref}",
    LeadNotice.Kind.OVERDUE: "Overdue callback: {ref}",
}


def notice_message(*, notice: LeadNotice) -> EmailMessage:
    lead = notice.lead
    region = lead_settings_for(lead.site).phone_region
    lines = [
        f"Site: {lead.site.name}",
        f"Lead: {lead.reference} ({lead.get_source_display()})",
        f"Name: {lead.name}",
        f"Phone: {display_phone(lead.phone, region=region) or '-'}",
        f"E-mail: {lead.email or '-'}",
        f"Callback: {_local(lead.callback_due_at, lead)}"
        + ("" if lead.callback_at else " (as soon as possible)"),
        f"Assignee: {lead.assignee.display_name if lead.assignee else '-'}",
        "",
        lead.message or "",
        "",
        f"{settings.PUBLIC_URL}/console/leads/#{lead.pk}",
    ]
    return EmailMessage(
        subject=f"[{lead.site.name}] "
        + SUBJECTS.get((notice.kind, lead.source), SUBJECTS[notice.kind]).format(
            ref=lead.reference
        ),
        body="\n".join(lines),
        to=_recipients(lead, notice.kind),
    )


def _alert(lead: Lead, kind: str) -> None:
    group = (
        chat_events.agent_group(lead.assignee_id)
        if lead.assignee_id
        else chat_events.site_group(lead.site_id)
    )
    realtime.publish(group, events.reminder_frame(lead, kind=kind))


def notice_send(*, notice_id: int, now: datetime | None = None) -> str:
    """Send one notice if nobody has. Returns "sent", "taken" (claimed or sent
    already) or "gone" (the lead was destroyed). Raises when the send fails, after
    putting the claim back, so the task retries."""
    now = now or timezone.now()
    claimed = LeadNotice.objects.filter(
        pk=notice_id, state=LeadNotice.State.PENDING
    ).update(state=LeadNotice.State.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "taken" if LeadNotice.objects.filter(pk=notice_id).exists() else "gone"
    notice = LeadNotice.objects.select_related(
        "lead__site", "lead__assignee__user"
    ).get(pk=notice_id)
    try:
        message = notice_message(notice=notice)
        with translation.override(notice.lead.language or "en"):
            if message.to:
                message.send()
    except Exception as exc:
        LeadNotice.objects.filter(pk=notice_id).update(
            state=LeadNotice.State.PENDING, last_error=repr(exc)[:300]
        )
        raise
    with transaction.atomic():
        LeadNotice.objects.filter(pk=notice_id).update(
            state=LeadNotice.State.SENT, sent_at=timezone.now(), last_error=""
        )
        LeadEvent.objects.create(
            lead=notice.lead,
            kind=EVENT_OF[notice.kind],
            data={"to": len(message.to)},
            created_at=now,
        )
        if notice.kind != LeadNotice.Kind.NEW_LEAD:
            _alert(notice.lead, notice.kind)
    return "sent"


def notice_give_up(*, notice_id: int, error: str) -> None:
    LeadNotice.objects.filter(pk=notice_id).exclude(state=LeadNotice.State.SENT).update(
        state=LeadNotice.State.FAILED, last_error=error[:300]
    )


def notices_enqueue(*, notice_ids: Sequence[int]) -> list[int]:
    """Hand each notice to a worker once the current transaction commits (nothing
    is queued for rows that were rolled back). Returns the ids. The task must be
    registered in this process: leads.apps imports leads.tasks at start."""
    ids = list(notice_ids)
    if ids:
        task = current_app.tasks[NOTICE_SEND_TASK]
        for pk in ids:
            task.delay_on_commit(pk)
    return ids


def callbacks_scan(*, now: datetime | None = None) -> dict[str, list[int]]:
    """Beat: create (once) and queue a reminder for each open lead whose callback
    time has come, and flag leads still "new" past the overdue grace."""
    now = now or timezone.now()
    reminders: list[LeadNotice] = []
    overdue: list[LeadNotice] = []
    with transaction.atomic():
        due = (
            Lead.objects.select_for_update(skip_locked=True)
            .filter(status__in=Lead.OPEN_STATUSES, callback_due_at__lte=now)
            .exclude(reminded_for=F("callback_due_at"))
            .only("pk", "callback_due_at")
        )
        for lead in due[:500]:
            due_at = lead.callback_due_at
            if due_at is None:  # not in this query's rows; for the type checker
                continue
            Lead.objects.filter(pk=lead.pk).update(reminded_for=due_at)
            notice, created = LeadNotice.objects.get_or_create(
                lead=lead,
                kind=LeadNotice.Kind.REMINDER,
                key=due_at.isoformat(),
                defaults={"created_at": now},
            )
            if created:
                reminders.append(notice)
        late = Lead.objects.select_for_update(skip_locked=True, of=("self",)).filter(
            status=Lead.Status.NEW,
            overdue_since__isnull=True,
            callback_due_at__lte=now,
        )
        for lead in late.select_related("site")[:500]:
            grace = timedelta(
                minutes=lead_settings_for(lead.site).overdue_grace_minutes
            )
            due_at = lead.callback_due_at
            if due_at is None or due_at + grace > now:
                continue
            Lead.objects.filter(pk=lead.pk).update(overdue_since=now)
            notice, created = LeadNotice.objects.get_or_create(
                lead=lead,
                kind=LeadNotice.Kind.OVERDUE,
                key=due_at.isoformat(),
                defaults={"created_at": now},
            )
            if created:
                overdue.append(notice)
        return {
            "reminders": notices_enqueue(notice_ids=[n.pk for n in reminders]),
            "overdue": notices_enqueue(notice_ids=[n.pk for n in overdue]),
        }


def notices_recover(*, now: datetime | None = None) -> list[int]:
    """Beat: release claims of workers that died mid-send, and queue again notices
    still pending a minute after creation (a broker outage at commit time)."""
    now = now or timezone.now()
    LeadNotice.objects.filter(
        state=LeadNotice.State.SENDING, claimed_at__lt=now - STALE_CLAIM
    ).update(state=LeadNotice.State.PENDING)
    stuck = list(
        LeadNotice.objects.filter(
            state=LeadNotice.State.PENDING, created_at__lt=now - timedelta(minutes=1)
        )[:500]
    )
    with transaction.atomic():
        return notices_enqueue(notice_ids=[n.pk for n in stuck])
