"""lead_capture on PostgreSQL: idempotency, one open lead per person, the races
the database decides, the callback due time, and the new-lead notice."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time, timedelta

import pytest
from django.db import connection

from leads.forms import LeadInput
from leads.models import ConsentRecord, Lead, LeadNotice, LeadSubmission, OpeningPeriod
from leads.services.availability import schedule_cache_clear
from leads.services.capture import callback_due, lead_capture

pytestmark = pytest.mark.django_db

WED_20_KST = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)


def person(**overrides) -> LeadInput:
    values = {"name": "김민수", "phone": "+821012345678", "notice_version": "v1"}
    return LeadInput(**{**values, **overrides})


def capture(site, key, data=None, **kwargs):
    return lead_capture(
        site=site,
        source=Lead.Source.OFFLINE_FORM,
        data=data or person(),
        idempotency_key=key,
        **kwargs,
    )


def test_same_key_is_one_submission(site, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        first = capture(site, "key-00001")
    second = capture(site, "key-00001")
    assert (first.duplicate, second.duplicate) == (False, True)
    assert second.lead.pk == first.lead.pk
    assert LeadSubmission.objects.count() == 1
    assert ConsentRecord.objects.count() == 2
    assert LeadNotice.objects.filter(kind="new_lead").count() == 1
    assert len(queued) == 1  # the notice task is queued after commit only


def test_same_person_joins_their_open_lead(site):
    first = capture(site, "key-00001", person(message="first"))
    again = capture(site, "key-00002", person(message="second", email="a@b.kr"))
    assert again.merged and again.lead.pk == first.lead.pk
    lead = Lead.objects.get()
    assert (lead.submissions_count, lead.message, lead.email) == (2, "second", "a@b.kr")
    assert list(lead.events.values_list("kind", flat=True)) == ["created", "submitted"]
    assert LeadNotice.objects.count() == 1  # the team was told once


def test_email_matches_when_phone_differs(site):
    first = capture(site, "key-00001", person(phone="", email="kim@example.com"))
    again = capture(site, "key-00002", person(phone="", email="kim@example.com"))
    assert again.lead.pk == first.lead.pk


def test_closed_lead_does_not_absorb_a_new_request(site):
    first = capture(site, "key-00001")
    Lead.objects.filter(pk=first.lead.pk).update(status=Lead.Status.WON)
    second = capture(site, "key-00002")
    assert second.lead.pk != first.lead.pk and not second.merged


def test_other_site_is_another_lead(site):
    from tests.factories import SiteFactory

    capture(site, "key-00001")
    other = capture(SiteFactory(), "key-00001")
    assert not other.duplicate and Lead.objects.count() == 2


def _race(site, keys: list[str]) -> list:
    barrier = threading.Barrier(len(keys))
    results, errors = [], []

    def run(key):
        try:
            barrier.wait()
            results.append(capture(site, key))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(k,)) for k in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_racing_requests_of_one_person_make_one_lead(site):
    results = _race(site, [f"race-key-{n:03d}" for n in range(6)])
    assert len({r.lead.pk for r in results}) == 1
    assert Lead.objects.count() == 1
    assert Lead.objects.get().submissions_count == 6
    assert LeadSubmission.objects.count() == 6


@pytest.mark.django_db(transaction=True)
def test_racing_double_submit_is_one_submission(site):
    results = _race(site, ["same-key-001"] * 4)
    assert sorted(r.duplicate for r in results) == [False, True, True, True]
    assert LeadSubmission.objects.count() == 1 and Lead.objects.count() == 1


def test_as_soon_as_possible_is_due_after_the_next_opening(site):
    schedule_cache_clear()
    for day in range(5):
        OpeningPeriod.objects.create(
            site=site, weekday=day, opens=time(9), closes=time(18)
        )
    # Wednesday 20:00 KST: closed; opens Thursday 09:00 KST; SLA 60 minutes.
    due = callback_due(site=site, team_id=None, callback_at=None, now=WED_20_KST)
    assert due == datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    open_now = WED_20_KST - timedelta(hours=8)  # Wednesday 12:00 KST
    assert callback_due(site=site, team_id=None, callback_at=None, now=open_now) == (
        open_now + timedelta(minutes=60)
    )
    slot = datetime(2026, 11, 26, 2, 30, tzinfo=UTC)
    assert (
        callback_due(site=site, team_id=None, callback_at=slot, now=WED_20_KST) == slot
    )
    schedule_cache_clear()


def test_links_visitor_conversation_and_assignee(site, visitor, online_counselor):
    from chat.models import Conversation

    counselor = online_counselor()
    conversation = Conversation.objects.create(
        site=site, visitor=visitor, assignee=counselor, status="active"
    )
    result = lead_capture(
        site=site,
        source=Lead.Source.IN_CHAT_FORM,
        data=person(),
        idempotency_key="chat:1:abc",
        visitor=visitor,
        conversation=conversation,
        rule_id=42,
    )
    lead = result.lead
    assert (lead.visitor, lead.conversation, lead.assignee, lead.rule_id) == (
        visitor,
        conversation,
        counselor,
        42,
    )
