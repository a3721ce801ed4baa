"""Notices without a worker (Celery eager): who gets which e-mail, the reminder and
overdue scans, claims, recovery, and the console alert."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import pytest
from django.utils import timezone

from chat import events as chat_events
from leads.models import Lead, LeadEvent, LeadNotice
from leads.services import notices
from tests.factories import (
    CounselorFactory,
    LeadFactory,
    LeadSettingsFactory,
    SiteFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def site():
    site = SiteFactory(name="Shop")
    LeadSettingsFactory(
        site=site, notify_emails="team@example.com", overdue_grace_minutes=15
    )
    return site


def notice_for(lead, kind=LeadNotice.Kind.NEW_LEAD, key=""):
    return LeadNotice.objects.create(
        lead=lead, kind=kind, key=key, created_at=timezone.now()
    )


def test_new_lead_goes_to_the_team_addresses(site, mailoutbox):
    lead = LeadFactory(site=site, name="김민수", phone="+821012345678")
    assert notices.notice_send(notice_id=notice_for(lead).pk) == "sent"
    (mail,) = mailoutbox
    assert mail.to == ["team@example.com"]
    assert lead.reference in mail.subject and "[Shop]" in mail.subject
    assert "010-1234-5678" in mail.body  # national format for a Korean number
    assert "김민수" in mail.body


def test_times_in_the_mail_are_in_the_sites_zone_and_labelled(mailoutbox):
    from datetime import UTC, datetime

    site = SiteFactory(name="Dubai shop", time_zone="Asia/Dubai")
    LeadSettingsFactory(site=site, notify_emails="team@example.com")
    due = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
    lead = LeadFactory(site=site, callback_due_at=due, callback_at=due)
    notices.notice_send(notice_id=notice_for(lead).pk)
    # Dubai has no letter abbreviation in the zone database: the offset is written.
    assert "Callback: 2026-03-10 19:30 UTC+04:00\n" in mailoutbox[0].body
    seoul = LeadFactory(site=SiteFactory(time_zone="Asia/Seoul"), callback_due_at=due)
    LeadSettingsFactory(site=seoul.site, notify_emails="team@example.com")
    notices.notice_send(notice_id=notice_for(seoul).pk)
    assert "Callback: 2026-03-11 00:30 KST (as soon as possible)" in mailoutbox[1].body


def test_a_lead_from_a_chat_form_is_not_called_a_callback_request(site, mailoutbox):
    lead = LeadFactory(site=site, source=Lead.Source.IN_CHAT_FORM)
    notices.notice_send(notice_id=notice_for(lead).pk)
    (mail,) = mailoutbox
    assert mail.subject == f"[Shop] New lead from a chat {lead.reference}"
    assert "(In-chat form)" in mail.body
    callback = LeadFactory(site=site)
    notices.notice_send(notice_id=notice_for(callback).pk)
    assert mailoutbox[1].subject == f"[Shop] New callback request {callback.reference}"


def test_without_team_addresses_the_managers_are_told(mailoutbox):
    site = SiteFactory()
    manager = CounselorFactory(sites=[site], role="manager")
    manager.user.email = "boss@example.com"
    manager.user.save()
    CounselorFactory(sites=[site])  # a counselor: not told
    lead = LeadFactory(site=site)
    notices.notice_send(notice_id=notice_for(lead).pk)
    assert mailoutbox[0].to == ["boss@example.com"]


def test_a_claimed_or_sent_notice_is_not_sent_again(site, mailoutbox):
    notice = notice_for(LeadFactory(site=site))
    assert notices.notice_send(notice_id=notice.pk) == "sent"
    assert notices.notice_send(notice_id=notice.pk) == "taken"
    assert len(mailoutbox) == 1
    assert notices.notice_send(notice_id=10**9) == "gone"


def test_a_failed_send_puts_the_claim_back(site, monkeypatch, mailoutbox):
    notice = notice_for(LeadFactory(site=site))

    def fail(self, *args, **kwargs):
        raise smtplib.SMTPServerDisconnected("down")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", fail)
    with pytest.raises(smtplib.SMTPServerDisconnected):
        notices.notice_send(notice_id=notice.pk)
    notice.refresh_from_db()
    assert (notice.state, notice.attempts) == ("pending", 1)
    assert "down" in notice.last_error
    monkeypatch.undo()
    assert notices.notice_send(notice_id=notice.pk) == "sent"
    assert len(mailoutbox) == 1


def test_reminder_once_per_due_time_to_the_assignee(
    site, mailoutbox, django_capture_on_commit_callbacks
):
    counselor = CounselorFactory(sites=[site])
    counselor.user.email = "kim@example.com"
    counselor.user.save()
    now = timezone.now()
    lead = LeadFactory(site=site, assignee=counselor, callback_due_at=now)
    later = LeadFactory(site=site, callback_due_at=now + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        found = notices.callbacks_scan(now=now)
    assert len(found["reminders"]) == 1
    assert [m.to for m in mailoutbox] == [["kim@example.com"]]
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.callbacks_scan(now=now)["reminders"] == []
    # Moved to a new time: reminded again at that time, not before.
    moved = now + timedelta(minutes=30)
    Lead.objects.filter(pk=lead.pk).update(callback_due_at=moved)
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.callbacks_scan(now=now)["reminders"] == []
        assert len(notices.callbacks_scan(now=moved)["reminders"]) == 1
    assert LeadEvent.objects.filter(lead=lead, kind="reminded").count() == 2
    assert not LeadNotice.objects.filter(lead=later).exists()


def test_closed_leads_are_not_reminded(site, mailoutbox):
    now = timezone.now()
    LeadFactory(site=site, status=Lead.Status.WON, callback_due_at=now)
    assert notices.callbacks_scan(now=now)["reminders"] == []


def test_overdue_after_the_grace_only_while_new(
    site, mailoutbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    late = LeadFactory(site=site, callback_due_at=now - timedelta(minutes=20))
    in_grace = LeadFactory(site=site, callback_due_at=now - timedelta(minutes=10))
    called = LeadFactory(
        site=site,
        status=Lead.Status.CONTACTED,
        callback_due_at=now - timedelta(hours=2),
    )
    with django_capture_on_commit_callbacks(execute=True):
        found = notices.callbacks_scan(now=now)
    assert len(found["overdue"]) == 1
    late.refresh_from_db()
    in_grace.refresh_from_db()
    called.refresh_from_db()
    assert late.overdue_since == now
    assert in_grace.overdue_since is None and called.overdue_since is None
    assert [m.subject for m in mailoutbox if "Overdue" in m.subject] == [
        f"[Shop] Overdue callback: {late.reference}"
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert notices.callbacks_scan(now=now)["overdue"] == []


def test_recover_releases_dead_claims_and_requeues_stuck_notices(
    site, mailoutbox, django_capture_on_commit_callbacks
):
    now = timezone.now()
    dead = notice_for(LeadFactory(site=site))
    LeadNotice.objects.filter(pk=dead.pk).update(
        state="sending", claimed_at=now - timedelta(minutes=11), created_at=now
    )
    stuck = notice_for(LeadFactory(site=site))
    LeadNotice.objects.filter(pk=stuck.pk).update(created_at=now - timedelta(minutes=2))
    fresh = notice_for(LeadFactory(site=site))
    with django_capture_on_commit_callbacks(execute=True):
        queued = notices.notices_recover(now=now)
    assert set(queued) == {stuck.pk}  # the released claim goes out next minute
    assert LeadNotice.objects.get(pk=dead.pk).state == "pending"
    assert LeadNotice.objects.get(pk=fresh.pk).state == "pending"
    assert len(mailoutbox) == 1


@pytest.mark.django_db(transaction=True)
async def test_reminder_alerts_the_assignees_console():
    from channels.db import database_sync_to_async as db
    from channels.layers import get_channel_layer

    site = await db(SiteFactory)()
    counselor = await db(CounselorFactory)(sites=[site])
    lead = await db(LeadFactory)(
        site=site, assignee=counselor, callback_due_at=timezone.now()
    )
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(chat_events.agent_group(counselor.pk), channel)
    notice = await db(notice_for)(lead, LeadNotice.Kind.REMINDER, "k")
    assert await db(notices.notice_send)(notice_id=notice.pk) == "sent"
    event = await layer.receive(channel)
    assert '"lead_alert"' in event["text"] and lead.reference in event["text"]
    assert "Lead person" not in event["text"]  # no personal data on the wire
    await layer.group_discard(chat_events.agent_group(counselor.pk), channel)
