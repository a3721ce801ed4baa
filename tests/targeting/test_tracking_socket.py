"""Tracking through the real visitor socket: the live snapshot moves at once, the
record is written in batches, identify is verified, a reconnect rebuilds the state."""

from __future__ import annotations

import json
import time

import pytest
from channels.db import database_sync_to_async as db

from chat.models import Visitor
from targeting import live
from targeting.models import TrackEvent, VisitorProfile, VisitSession
from targeting.services.identify import identify_signature
from targeting.writer import get_track_writer
from tests.chat.wsutil import of_type, receive_until, visitor_socket
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)

S = "tab-session-1"
SHOP = "https://shop.example.com"


def session_event(**extra):
    return {"kind": "session", "session": S, "landing": f"{SHOP}/bags",
            "referrer": "https://www.facebook.com/", "utm_source": "facebook",
            "device": "mobile", **extra}  # fmt: skip


def view(path, category=None, product=None):
    event = {"kind": "page_view", "session": S, "url": f"{SHOP}{path}"}
    if category:
        event["category"] = category
    if product:
        event["product"] = {"id": product, "name": product.title(), "price": 129000}
    return event


async def visitor_of(hello) -> Visitor:
    return await db(Visitor.objects.get)(public_id=hello["visitor"]["id"])


async def test_events_move_the_live_state_and_reach_the_record():
    site = await db(SiteFactory)()
    comm, _, hello = await visitor_socket(site)
    visitor = await visitor_of(hello)
    await comm.send_json_to(
        {"type": "track", "events": [
            session_event(), view("/bags", "bags"), view("/bags/tote", "bags", "tote"),
            {"kind": "cart_add", "session": S,
             "product": {"id": "tote", "price": 129000}},
        ]}
    )  # fmt: skip
    await comm.send_json_to({"type": "ping"})
    await receive_until(comm, of_type("pong"))  # the track frame was handled
    snapshot = live.live_get(visitor.pk).snapshot
    assert snapshot.session.inflow.utm_source == "facebook"
    assert len(snapshot.views.by_category["bags"]) == 2
    assert (snapshot.page.product, snapshot.cart.count) == ("tote", 1)

    await get_track_writer().drain()
    kinds = await db(list)(
        TrackEvent.objects.filter(visitor=visitor).values_list("kind", flat=True)
    )
    assert sorted(kinds) == ["cart_add", "page_view", "page_view", "session"]
    visit = await db(VisitSession.objects.get)(visitor=visitor)
    assert (visit.key, visit.utm_source, visit.device) == (S, "facebook", "mobile")
    profile = await db(VisitorProfile.objects.get)(visitor=visitor)
    assert profile.visits == 1
    await comm.disconnect()


async def test_a_bad_event_is_named_counted_and_the_others_apply():
    from targeting.writer import counters

    before = await db(counters)()
    site = await db(SiteFactory)()
    comm, _, hello = await visitor_socket(site)
    await comm.send_json_to(
        {"type": "track", "events": [
            session_event(), {"kind": "page_view", "session": S, "url": "ftp://x"},
            view("/dresses", "dresses"),
        ]}
    )  # fmt: skip
    error, _ = await receive_until(comm, of_type("error", code="bad_event"))
    assert error["index"] == 1 and "http(s)" in error["message"]
    snapshot = live.live_get((await visitor_of(hello)).pk).snapshot
    assert snapshot.page.category == "dresses"
    await comm.send_json_to({"type": "track", "events": "nope"})
    error, _ = await receive_until(comm, of_type("error", code="bad_event"))
    assert "index" not in error
    await get_track_writer().drain()
    after = await db(counters)()
    assert after["refused"] - before["refused"] == 2
    assert after["accepted"] - before["accepted"] == 2
    await comm.disconnect()


async def test_identify_is_verified_once():
    site = await db(SiteFactory)()
    comm, _, hello = await visitor_socket(site)
    visitor = await visitor_of(hello)
    attrs = {"segment": "vip", "loan_maturity_date": "2026-11-28", "card_holder": False}
    ts = int(time.time())
    sig = identify_signature(site.identify_secret, ts=ts, user_id="u-42", attrs=attrs)
    good = {"kind": "identify", "user_id": "u-42", "attrs": attrs, "ts": ts, "sig": sig}
    forged = {**good, "attrs": {**attrs, "segment": "staff"}}
    stale = {**good, "ts": ts - 3600}
    await comm.send_json_to({"type": "track", "events": [good, good, forged, stale]})
    errors = []
    for _ in range(3):
        error, _ = await receive_until(comm, of_type("error", code="bad_event"))
        errors.append((error["index"], error["message"]))
    assert [i for i, _ in errors] == [1, 2, 3]
    assert "already used" in errors[0][1]
    assert "does not match" in errors[1][1]
    assert "expired" in errors[2][1]
    crm = live.live_get(visitor.pk).snapshot.crm
    assert crm["segment"] == "vip" and str(crm["loan_maturity_date"]) == "2026-11-28"
    await get_track_writer().drain()
    profile = await db(VisitorProfile.objects.get)(visitor=visitor)
    assert (profile.user_id, profile.crm["segment"]) == ("u-42", "vip")
    stored = await db(TrackEvent.objects.get)(visitor=visitor, kind="identify")
    assert "sig" not in stored.data  # the proof is not kept
    await comm.disconnect()


async def test_a_returning_visitor_gets_their_history_back():
    site = await db(SiteFactory)()
    comm, _, hello = await visitor_socket(site)
    token = hello["visitor"]["token"]
    visitor = await visitor_of(hello)
    await comm.send_json_to(
        {"type": "track", "events": [session_event()] + [
            view(f"/bags/{n}", "bags", f"bag{n}") for n in range(4)]}
    )  # fmt: skip
    await comm.send_json_to({"type": "ping"})
    await receive_until(comm, of_type("pong"))
    await get_track_writer().drain()
    await comm.disconnect()
    live._live.clear()  # another process, or much later

    again, _, _ = await visitor_socket(site, token=token)
    snapshot = live.live_get(visitor.pk).snapshot
    assert len(snapshot.views.by_category["bags"]) == 4
    assert snapshot.visits == 1 and snapshot.session.id == S
    await again.disconnect()


async def test_event_floods_are_limited(settings):
    settings.CHAT = {**settings.CHAT, "VISITOR_EVENT_RATE": (1, 5)}
    site = await db(SiteFactory)()
    comm, _, _ = await visitor_socket(site)
    events = [view(f"/p/{n}") for n in range(10)]
    await comm.send_json_to({"type": "track", "events": [session_event()]})
    await comm.send_json_to({"type": "track", "events": events})
    error, _ = await receive_until(comm, of_type("error", code="rate_limited"))
    assert "events" in error["message"] and error["ref"] == "track"
    await comm.disconnect()


def test_beacon_stores_events_and_refuses_strangers(client):
    from chat.services.visitors import visitor_resume, visitor_token
    from leads.cors import known_origins_clear

    known_origins_clear()
    site = SiteFactory()
    visitor, _ = visitor_resume(site=site, token=None)
    body = {
        "site": site.public_key,
        "token": visitor_token(visitor),
        "events": [session_event(), view("/bags", "bags"), {"kind": "bogus"}],
    }

    def post(payload, origin=SHOP):
        return client.post(
            "/public/v1/track",
            data=payload if isinstance(payload, str) else json.dumps(payload),
            content_type="text/plain",
            headers={"Origin": origin},
        )

    response = post(body)
    assert response.status_code == 204
    assert response["X-Refused-Events"] == "1"
    kinds = TrackEvent.objects.filter(visitor=visitor).values_list("kind", flat=True)
    assert sorted(kinds) == ["page_view", "session"]
    assert post({**body, "token": "forged"}).status_code == 403
    assert post(body, origin="https://evil.example").status_code == 403
    assert post({**body, "events": ["x" * 20_000]}).status_code == 413
    assert post("{").status_code == 400


async def test_counselors_see_the_journey_of_their_sites_visitors():
    from rest_framework.test import APIClient

    from tests.factories import CounselorFactory

    site = await db(SiteFactory)()
    other = await db(SiteFactory)()
    mine = await db(CounselorFactory)(sites=[site])
    stranger = await db(CounselorFactory)(sites=[other])
    comm, _, hello = await visitor_socket(site)
    await comm.send_json_to(
        {"type": "track", "events": [
            session_event(), view("/bags", "bags"), view("/bags/tote", "bags", "tote"),
            {"kind": "search", "session": S, "query": "토트백"},
        ]}
    )  # fmt: skip
    await comm.send_json_to({"type": "ping"})
    await receive_until(comm, of_type("pong"))
    await get_track_writer().drain()
    url = f"/api/visitors/{hello['visitor']['id']}/journey/"

    def get(profile):
        client = APIClient()
        client.force_authenticate(profile.user)
        return client.get(url)

    response = await db(get)(mine)
    assert response.status_code == 200
    body = response.json()
    (visit,) = body["visits"]
    assert visit["inflow"]["utm_source"] == "facebook"
    assert [p["url"] for p in visit["pages"]] == [f"{SHOP}/bags", f"{SHOP}/bags/tote"]
    assert visit["pages"][0]["dwell_seconds"] is not None
    assert visit["events"][0] == {
        "kind": "search",
        "at": visit["events"][0]["at"],
        "query": "토트백",
    }
    assert body["live"] is True
    assert (await db(get)(stranger)).status_code == 404
    await comm.disconnect()


async def test_live_visitors_and_a_manual_invitation():
    from rest_framework.test import APIClient

    from tests.factories import CounselorFactory

    site = await db(SiteFactory)()
    counselor = await db(CounselorFactory)(sites=[site], display_name="Jiwoo")
    stranger = await db(CounselorFactory)(sites=[await db(SiteFactory)()])
    comm, _, hello = await visitor_socket(site)
    await comm.send_json_to(
        {"type": "track", "events": [session_event(), view("/bags/tote", "bags")]}
    )
    await comm.send_json_to({"type": "ping"})
    await receive_until(comm, of_type("pong"))
    await get_track_writer().drain()

    def call(profile, method, url, **data):
        client = APIClient()
        client.force_authenticate(profile.user)
        return getattr(client, method)(url, data, format="json")

    listed = await db(call)(counselor, "get", "/api/visitors/live/")
    (row,) = listed.json()["visitors"]
    assert row["visitor"] == hello["visitor"]["id"]
    assert row["page"]["url"] == f"{SHOP}/bags/tote"
    assert row["source"] == "facebook" and row["device"] == "mobile"
    empty = await db(call)(stranger, "get", "/api/visitors/live/")
    assert empty.json()["visitors"] == []

    url = f"/api/visitors/{hello['visitor']['id']}/invite/"
    assert (await db(call)(stranger, "post", url)).status_code == 404
    response = await db(call)(counselor, "post", url, message="Need a hand?")
    assert response.status_code == 201
    offer, _ = await receive_until(comm, of_type("offer"))
    assert offer["offer"]["kind"] == "chat_invite"
    assert offer["offer"]["persona"]["name"] == "Jiwoo"
    assert offer["offer"]["body"] == "Need a hand?"
    await comm.send_json_to(
        {"type": "offer_response", "offer": offer["offer"]["id"], "outcome": "accepted"}
    )
    frame, _ = await receive_until(comm, of_type("conversation"))
    assert frame["reason"] == "started"
    await comm.disconnect()
