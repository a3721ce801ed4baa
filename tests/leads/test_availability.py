"""Availability with the database: opening hours, closures, holidays, counselors
online and the expected wait; and the live push to the widgets."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from chat.models import Conversation
from chat.services.presence import counselor_set_status
from leads.models import Closure, LeadSettings, OpeningPeriod
from leads.services.availability import (
    expected_wait_seconds,
    schedule_cache_clear,
    site_availability,
)
from tests.chat.wsutil import of_type, receive_until, visitor_socket
from tests.factories import SiteFactory, TeamFactory, VisitorFactory

pytestmark = pytest.mark.django_db

# Wednesday 2026-11-25, 10:00 in Seoul.
WED_10_KST = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_cache():
    schedule_cache_clear()
    yield
    schedule_cache_clear()


def weekdays_9_to_18(site, team=None):
    for day in range(5):
        OpeningPeriod.objects.create(
            site=site, team=team, weekday=day, opens=time(9), closes=time(18)
        )


def test_site_without_hours_is_open_when_a_counselor_is(site, online_counselor):
    assert site_availability(site=site, now=WED_10_KST).reason == "no_counselor"
    online_counselor(last_seen_at=WED_10_KST)
    state = site_availability(site=site, now=WED_10_KST)
    assert (state.open, state.reason, state.expected_wait) == (True, "open", 0)


def test_outside_hours_is_closed_with_the_next_opening(site, online_counselor):
    weekdays_9_to_18(site)
    evening = WED_10_KST + timedelta(hours=9)  # 19:00 KST
    online_counselor(last_seen_at=evening)
    state = site_availability(site=site, now=evening)
    assert (state.open, state.reason) == (False, "closed_hours")
    assert state.opens_at == datetime(2026, 11, 26, 0, 0, tzinfo=UTC)  # Thu 09:00 KST


def test_public_holiday_and_closure_close_the_site(site, online_counselor):
    weekdays_9_to_18(site)
    # Christmas 2026 is a Friday: a public holiday in Korea.
    xmas = datetime(2026, 12, 25, 2, 0, tzinfo=UTC)
    online_counselor(last_seen_at=xmas)
    state = site_availability(site=site, now=xmas)
    assert (state.reason, state.holiday_name != "") == ("holiday", True)
    Closure.objects.create(
        site=site, starts_on=date(2026, 11, 25), ends_on=date(2026, 11, 25)
    )
    schedule_cache_clear()  # schedules are cached for 30 s per process
    online_counselor(last_seen_at=WED_10_KST)
    assert site_availability(site=site, now=WED_10_KST).reason == "closure"


def test_holidays_follow_the_site_setting(site, online_counselor):
    weekdays_9_to_18(site)
    LeadSettings.objects.create(site=site, holiday_country="")
    xmas = datetime(2026, 12, 25, 2, 0, tzinfo=UTC)
    online_counselor(last_seen_at=xmas)
    assert site_availability(site=site, now=xmas).open is True


def test_team_with_own_hours_uses_them_else_the_sites(site, online_counselor):
    weekdays_9_to_18(site)
    night = TeamFactory(site=site)
    day_team = TeamFactory(site=site)
    OpeningPeriod.objects.create(
        site=site, team=night, weekday=2, opens=time(18), closes=time(2)
    )
    at_22 = WED_10_KST + timedelta(hours=12)
    online_counselor(last_seen_at=at_22, teams=[night, day_team])
    assert site_availability(site=site, team_id=night.pk, now=at_22).open is True
    assert site_availability(site=site, team_id=day_team.pk, now=at_22).open is False
    assert site_availability(site=site, now=at_22).open is False


def test_long_queue_turns_the_site_offline(site, online_counselor):
    LeadSettings.objects.create(
        site=site, max_expected_wait_seconds=600, average_handle_seconds=300
    )
    online_counselor(last_seen_at=WED_10_KST, max_concurrent=1)
    for _ in range(3):
        Conversation.objects.create(
            site=site,
            visitor=VisitorFactory(site=site),
            status=Conversation.Status.QUEUED,
            queued_at=WED_10_KST,
        )
    state = site_availability(site=site, now=WED_10_KST)
    # One counselor, one free slot, three waiting: (3 - 1 + 1) * 300 s.
    assert (state.open, state.reason, state.expected_wait) == (
        False,
        "queue_too_long",
        900,
    )


@pytest.mark.parametrize(
    ("queue", "online", "free", "expected"),
    [(0, 1, 1, 0), (2, 1, 3, 0), (2, 1, 0, 900), (4, 2, 1, 600), (0, 0, 0, 300)],
)
def test_expected_wait(queue, online, free, expected):
    assert (
        expected_wait_seconds(
            queue_length=queue, online=online, free_slots=free, handle_seconds=300
        )
        == expected
    )


@pytest.mark.django_db(transaction=True)
async def test_widget_is_told_live_when_the_first_counselor_comes_online():
    from channels.db import database_sync_to_async as db

    from tests.factories import CounselorFactory

    site = await db(SiteFactory)()
    counselor = await db(CounselorFactory)(sites=[site])
    comm, _, hello = await visitor_socket(site)
    assert hello["availability"]["open"] is False
    assert hello["availability"]["reason"] == "no_counselor"

    await db(counselor_set_status)(counselor=counselor, status="online")
    frame, _ = await receive_until(comm, of_type("availability"))
    assert frame["availability"]["open"] is True

    await db(counselor_set_status)(counselor=counselor, status="offline")
    frame, _ = await receive_until(comm, of_type("availability"))
    assert frame["availability"]["reason"] == "no_counselor"
    await comm.send_json_to({"type": "ping"})
    pong, _ = await receive_until(comm, of_type("pong"))
    assert pong["availability"]["reason"] in {"no_counselor", "open"}  # 2 s cache
    await comm.disconnect()


def test_availability_is_published_once_per_change(site, online_counselor):
    from django.core.cache import cache

    from leads.services.availability import availability_refresh

    cache.delete(f"leads:availability:{site.pk}")
    now = timezone.now()
    assert availability_refresh(site_ids=[site.pk], now=now) == 1
    assert availability_refresh(site_ids=[site.pk], now=now) == 0
    online_counselor(last_seen_at=now)
    assert availability_refresh(site_ids=[site.pk], now=now) == 1


def test_a_schedule_change_is_seen_at_once(
    site, online_counselor, django_capture_on_commit_callbacks
):
    from leads.services.availability import schedule_changed

    now = timezone.now()
    online_counselor(last_seen_at=now)
    assert site_availability(site=site, now=now).open is True  # cached now
    local = timezone.localdate(now, timezone=ZoneInfo(site.time_zone))
    Closure.objects.create(site=site, starts_on=local, ends_on=local)
    assert site_availability(site=site, now=now).open is True  # still cached
    with django_capture_on_commit_callbacks(execute=True):
        schedule_changed(site_id=site.pk)
    assert site_availability(site=site, now=now).reason == "closure"


def test_admin_edits_of_hours_bump_the_schedule(
    admin_client, site, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    key = f"leads:schedule-version:{site.pk}"
    before = cache.get(key, 0)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
        "/admin/leads/closure/add/",
            {"site": site.pk, "starts_on": "2026-12-24", "ends_on": "2026-12-26",
             "reason": "Year-end"},
        )  # fmt: skip
    assert response.status_code == 302, response.content[:500]
    assert cache.get(key, 0) == before + 1
    bad = admin_client.post(
        "/admin/leads/closure/add/",
        {"site": site.pk, "starts_on": "2026-12-26", "ends_on": "2026-12-24"},
    )
    assert b"ends before it starts" in bad.content


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"title": "x", "fields": []}, "1 to 10 fields"),
        ({"title": "x", "fields": [{"name": "a", "label": "A", "type": "date"}]},
         "Unknown form field type"),
        ({"title": "x", "fields": [{"name": "name", "label": "N"}]}, "'phone' or"),
        ({"title": "x", "fields": [{"name": "phone", "label": "P", "type": "tel"},
                                   {"name": "phone", "label": "Q", "type": "tel"}]},
         "unique"),
    ],
)  # fmt: skip
def test_chat_form_settings_are_checked_at_save(site, form, message):
    from django.core.exceptions import ValidationError

    config = LeadSettings(site=site, chat_form=form)
    with pytest.raises(ValidationError, match=message):
        config.full_clean()


def test_default_chat_form_is_valid(site):
    LeadSettings(site=site).full_clean()
