"""Issue 8 #1 and #9 for targeting: tracking texts under core.text's policy, one
event the database refuses never loses the others of its batch, and JSON nested
too deep is a 400 / a form error, never a RecursionError."""

import asyncio
from datetime import UTC, datetime

import pytest
from channels.db import database_sync_to_async as db

from chat.services.visitors import visitor_token
from targeting.models import Rule, TrackEvent
from targeting.tracking import BadEvent, TrackedEvent, parse_event
from targeting.writer import TrackWriter, counters
from tests.factories import ORIGIN, SiteFactory, VisitorFactory

NOW = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)
SESSION = "s-12345678"


@pytest.mark.parametrize(
    "raw",
    [
        {"kind": "search", "session": SESSION, "query": "bag\x00"},
        {"kind": "page_view", "session": SESSION, "url": "https://a.example/\x00"},
        {"kind": "checkout", "session": SESSION, "step": "pay\x1bment"},
        {
            "kind": "identify",
            "user_id": "u1",
            "attrs": {"tier": "gold\x00"},
            "ts": 1,
            "sig": "x",
        },
        {
            "kind": "identify",
            "user_id": "u1",
            "attrs": {"t\x00": 1},
            "ts": 1,
            "sig": "x",
        },
    ],
)
def test_control_characters_refuse_the_event(raw):
    with pytest.raises(BadEvent, match="control character"):
        parse_event(raw, now=NOW)


def test_lengths_are_utf16_units():
    parse_event({"kind": "search", "session": SESSION, "query": "👜" * 100}, now=NOW)
    with pytest.raises(BadEvent, match="longer than 200"):
        parse_event(
            {"kind": "search", "session": SESSION, "query": "👜" * 101}, now=NOW
        )


def _event(query: str, url: str = "") -> TrackedEvent:
    return TrackedEvent("search", NOW, SESSION, url, {"query": query})


@pytest.mark.django_db(transaction=True)
async def test_one_refused_event_loses_only_itself():
    """An event that slipped past validation (a NUL the database cannot store) in
    a batch with good events of two visitors: the good ones are stored."""
    site = await db(SiteFactory)()
    one = await db(VisitorFactory)(site=site)
    two = await db(VisitorFactory)(site=site)
    before = await db(counters)()
    writer = TrackWriter(asyncio.get_running_loop())
    try:
        writer.put(one.pk, site.pk, [_event("a"), _event("b", url="https://x/\x00")])
        writer.put(two.pk, site.pk, [_event("c"), _event("d")])
        await writer.drain()
    finally:
        await asyncio.get_running_loop().run_in_executor(None, writer.close)
    stored = await db(
        lambda: sorted(TrackEvent.objects.values_list("data__query", flat=True))
    )()
    assert stored == ["a", "c", "d"]
    after = await db(counters)()
    assert after["accepted"] - before["accepted"] == 3
    assert after["refused"] - before["refused"] == 1


@pytest.mark.django_db
def test_a_beacon_nested_too_deep_is_a_400(client, settings):
    site = SiteFactory()
    visitor = VisitorFactory(site=site)
    deep = "[" * 3000 + "]" * 3000
    token = visitor_token(visitor)
    body = f'{{"site": "{site.public_key}", "token": "{token}", "events": {deep}}}'
    response = client.post(
        "/public/v1/track", body, content_type="text/plain", HTTP_ORIGIN=ORIGIN
    )
    assert response.status_code == 400
    assert "nested more than 64 levels" in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("levels", "message"),
    [
        (9, "groups nested more than 8 deep"),
        (31, "groups nested more than 8 deep"),
        (32, "JSON nested more than 64 levels deep."),
        (500, "JSON nested more than 64 levels deep."),
        (5000, "JSON nested more than 64 levels deep."),
    ],
)
def test_the_rule_admin_refuses_deep_conditions_with_the_documented_error(
    admin_client, levels, message
):
    """docs/targeting.md, "Too deep": 9 to 31 groups are read and refused by the
    rule's checks; text nested past 64 levels is refused before it is read."""
    site = SiteFactory()
    response = admin_client.post(
        "/admin/targeting/rule/add/",
        {
            "site": site.pk,
            "name": "Deep",
            "active": "on",
            "priority": 0,
            # Written out by hand: json.dumps itself recurses per level.
            "condition": '{"all": [' * levels
            + '{"field": "dwell", "gte": 60}'
            + "]}" * levels,
            "target_pages": "[]",
            "action": '{"kind": "banner", "title": "Hi"}',
            "fallback": "null",
            "cap_per_visitor": 0,
            "cap_per_session": 0,
            "cap_days": 0,
            "holdout_percent": 0,
            "offer_timeout_seconds": 30,
        },
    )
    assert response.status_code == 200
    # The model's own check adds its word on the empty value, as for any bad JSON.
    error = response.context["adminform"].form.errors["condition"][0]
    assert error.endswith(message), error
    assert not Rule.objects.exists()
