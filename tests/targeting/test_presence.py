"""Issue 8 #14: Live visitors lists the visitors with a socket open now, on any
process (a Redis sorted set of `<visitor>:<process>` members with an expiry),
not everyone active in the last 5 minutes."""

from __future__ import annotations

import time

import pytest
from channels.db import database_sync_to_async as db
from rest_framework.test import APIClient

from targeting.presence import Presence
from targeting.writer import get_track_writer
from tests.chat.wsutil import of_type, receive_until, visitor_socket
from tests.factories import CounselorFactory, SiteFactory

S = "tab-session-1"
SHOP = "https://shop.example.com"


def test_a_visitor_is_present_while_any_process_holds_a_socket(settings):
    a, b = Presence(process="proc-a"), Presence(process="proc-b")
    try:
        a.enter(101)
        b.enter(101)
        a.enter(102)
        a.flush(), b.flush()
        assert {101, 102} <= b.present_ids()  # readable from the other process
        a.leave(101)
        a.flush()
        assert 101 in a.present_ids([101, 102])  # still on process b
        b.leave(101)
        b.flush()
        assert a.present_ids([101, 102]) == {102}
    finally:
        a.clear(), b.clear()


def test_a_dead_process_takes_its_visitors_off_within_the_ttl():
    dead = Presence(process="proc-dead", ttl=0.3)
    try:
        dead.enter(201)
        dead.flush()
        assert dead.present_ids([201]) == {201}
        time.sleep(0.4)  # no refresh: the process died
        assert Presence(process="other").present_ids([201]) == set()
        dead.refresh()  # a live process refreshes its members
        assert dead.present_ids([201]) == {201}
    finally:
        dead.clear()


def test_without_redis_presence_is_kept_in_memory(settings):
    settings.REDIS_URL = None
    one = Presence(process="demo")
    one.enter(301)
    one.flush()
    assert one.present_ids() == {301}
    one.leave(301)
    one.flush()
    assert one.present_ids() == set()


@pytest.mark.django_db(transaction=True)
async def test_a_visitor_who_left_is_off_the_list_at_once():
    site = await db(SiteFactory)()
    counselor = await db(CounselorFactory)(sites=[site])
    comm, _, hello = await visitor_socket(site)
    await comm.send_json_to(
        {"type": "track", "events": [
            {"kind": "session", "session": S},
            {"kind": "page_view", "session": S, "url": f"{SHOP}/bags/"},
        ]}
    )  # fmt: skip
    await comm.send_json_to({"type": "ping"})
    await receive_until(comm, of_type("pong"))
    await get_track_writer().drain()
    from targeting.live import presence

    def get(url):
        client = APIClient()
        client.force_authenticate(counselor.user)
        return client.get(url).json()

    await db(presence.flush)()
    listed = await db(get)("/api/visitors/live/")
    assert [row["visitor"] for row in listed["visitors"]] == [hello["visitor"]["id"]]
    journey_url = f"/api/visitors/{hello['visitor']['id']}/journey/"
    assert (await db(get)(journey_url))["live"] is True

    await comm.disconnect()
    await db(presence.flush)()
    assert (await db(get)("/api/visitors/live/"))["visitors"] == []
    assert (await db(get)(journey_url))["live"] is False
