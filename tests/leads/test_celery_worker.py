"""Notifications and reminders through a real Celery worker (and beat) on Redis,
against the test database: sent once even when the task is retried or delivered
twice; the reminder fires at the callback time."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from config.celery import app
from leads.forms import LeadInput
from leads.models import Lead, LeadEvent, LeadNotice, LeadSettings
from leads.services.capture import lead_capture
from leads.tasks import lead_notice_send
from tests.factories import CounselorFactory, SiteFactory
from tests.support.celeryworker import CeleryWorker
from tests.support.flaky_mail import sent
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

SCAN_SECONDS = 0.5  # beat's reminder scan (LEADS_SCAN_SECONDS)


@pytest.fixture
def start_worker(transactional_db, tmp_path):
    """Start a worker; the database fixture comes first, so the worker stops before
    the tables are flushed."""
    workers = []

    def start(**env) -> CeleryWorker:
        worker = CeleryWorker(tmp_path, beat=True, env=env)
        workers.append(worker)
        worker.wait_ready()
        return worker

    app.conf.task_always_eager = False
    yield start
    app.conf.task_always_eager = True
    for worker in workers:
        worker.stop()


def wait_for(predicate, *, timeout: float, what: str, worker: CeleryWorker):
    return wait_until(
        predicate, timeout, what, interval=0.1, describe=lambda _: worker.log_tail()
    )


def capture(site, *, key: str, phone: str, callback_at=None):
    return lead_capture(
        site=site,
        source=Lead.Source.OFFLINE_FORM,
        data=LeadInput(
            name="김민수", phone=phone, callback_at=callback_at, notice_version="v1"
        ),
        idempotency_key=key,
    ).lead


def test_new_lead_notice_is_sent_once_despite_a_retry_and_redelivery(start_worker):
    site = SiteFactory(name="Shop")
    LeadSettings.objects.create(site=site, notify_emails="team@example.com")
    # The first SMTP attempt fails: the task must retry and then send once.
    worker = start_worker(FLAKY_MAIL_FAILURES="1")
    lead = capture(site, key="k-retry-1", phone="+821012345678")

    mails = wait_for(
        lambda: sent(worker.outbox), timeout=30, what="the e-mail", worker=worker
    )
    notice = LeadNotice.objects.get(lead=lead, kind=LeadNotice.Kind.NEW_LEAD)
    wait_for(
        lambda: LeadNotice.objects.get(pk=notice.pk).state == "sent",
        timeout=10,
        what="the notice marked sent",
        worker=worker,
    )
    notice.refresh_from_db()
    assert notice.attempts == 2  # the failed attempt, then the retry
    assert "Retry in" in worker.log_tail(200) or "retry" in worker.log_tail(200).lower()
    # The same task delivered twice more (a redelivery, a manual re-queue).
    again = [lead_notice_send.delay(notice.pk) for _ in range(2)]
    assert [result.get(timeout=20) for result in again] == ["taken", "taken"]

    mails = sent(worker.outbox)
    assert len(mails) == 1
    assert mails[0]["to"] == ["team@example.com"]
    assert lead.reference in mails[0]["subject"]
    assert "010-1234-5678" in mails[0]["body"]
    assert LeadEvent.objects.filter(lead=lead, kind="notified").count() == 1


def test_reminder_fires_at_the_callback_time_once(start_worker):
    site = SiteFactory(name="Shop")
    LeadSettings.objects.create(
        site=site, notify_emails="team@example.com", overdue_grace_minutes=60
    )
    counselor = CounselorFactory(sites=[site])
    counselor.user.email = "kim@example.com"
    counselor.user.save()
    worker = start_worker(LEADS_SCAN_SECONDS=str(SCAN_SECONDS))
    slot = timezone.now() + timedelta(seconds=4)
    lead = capture(site, key="k-remind-1", phone="+821055556666", callback_at=slot)
    Lead.objects.filter(pk=lead.pk).update(assignee=counselor)

    def reminders():
        return [m for m in sent(worker.outbox) if "Call back now" in m["subject"]]

    mails = wait_for(reminders, timeout=30, what="the reminder", worker=worker)
    fired = mails[0]["at"]
    assert slot.timestamp() <= fired <= slot.timestamp() + 4
    assert mails[0]["to"] == ["kim@example.com"]
    time.sleep(2.5 * SCAN_SECONDS)  # two more scans: still one reminder
    assert len(reminders()) == 1
    assert LeadEvent.objects.filter(lead=lead, kind="reminded").count() == 1
    assert LeadNotice.objects.get(lead=lead, kind="reminder").state == "sent"
