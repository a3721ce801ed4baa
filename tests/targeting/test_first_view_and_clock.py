"""Issue 8 #13: no evaluation before the session's first page view (a `session`
event alone showed offers with their placeholders empty), and the preview and the
beacon read the targeting clock like the socket does."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from channels.db import database_sync_to_async as db

from targeting import clock
from targeting.models import Offer, TrackEvent
from targeting.services.preview import rule_preview
from targeting.services.rules import rules_cache_clear
from tests.chat.wsutil import of_type, receive_until, visitor_socket
from tests.factories import SiteFactory, VisitorFactory
from tests.targeting.rulesutil import rule_make

S = "tab-session-1"
SHOP = "https://shop.example.com"
PAST = datetime(2025, 3, 14, 3, 0, tzinfo=UTC)  # Friday, 12:00 in Seoul


@pytest.fixture
def past_clock():
    clock.set_speed(2.0, start=PAST)
    yield
    clock.set_speed(1.0)


@pytest.fixture
def rules_cache():
    rules_cache_clear()
    yield
    rules_cache_clear()


@pytest.mark.django_db(transaction=True)
async def test_a_session_event_alone_evaluates_nothing(rules_cache):
    site = await db(SiteFactory)()
    # Matches any desktop visitor: the session event alone satisfies it.
    rule = await db(rule_make)(
        site,
        condition={"field": "device", "op": "eq", "value": "desktop"},
        action={"kind": "banner", "title": "Hello from {{category|nowhere}}"},
    )
    comm, _, _ = await visitor_socket(site)
    await comm.send_json_to(
        {"type": "track", "events": [{"kind": "session", "session": S}]}
    )
    await comm.send_json_to({"type": "ping"})
    _, skipped = await receive_until(comm, of_type("pong"))
    assert not [f for f in skipped if f["type"] == "offer"], skipped
    assert await db(Offer.objects.count)() == 0
    await comm.send_json_to(
        {
            "type": "track",
            "events": [
                {"kind": "page_view", "session": S, "url": f"{SHOP}/bags/",
                 "category": "bags"}
            ],
        }
    )  # fmt: skip
    offer, _ = await receive_until(comm, of_type("offer"))
    assert offer["offer"]["rule"] == rule.pk
    assert offer["offer"]["title"] == "Hello from bags"
    await comm.disconnect()


@pytest.mark.django_db
def test_the_preview_reads_the_targeting_clock(site, past_clock):
    rule = rule_make(site)
    visitor = VisitorFactory(site=site)
    result = rule_preview(rule=rule, visitor=visitor)
    now = datetime.fromisoformat(result["now"])
    assert PAST <= now < PAST + timedelta(minutes=5)


@pytest.mark.django_db
def test_beacon_events_are_timed_on_the_targeting_clock(client, past_clock):
    from chat.services.visitors import visitor_resume, visitor_token
    from leads.cors import known_origins_clear

    known_origins_clear()
    site = SiteFactory()
    visitor, _ = visitor_resume(site=site, token=None)
    body = {
        "site": site.public_key,
        "token": visitor_token(visitor),
        "events": [{"kind": "page_view", "session": S, "url": f"{SHOP}/bags/"}],
    }
    response = client.post(
        "/public/v1/track",
        data=json.dumps(body),
        content_type="text/plain",
        headers={"Origin": SHOP},
    )
    assert response.status_code == 204
    (at,) = TrackEvent.objects.filter(visitor=visitor).values_list("at", flat=True)
    assert PAST <= at < PAST + timedelta(minutes=5)
