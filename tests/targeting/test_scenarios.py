"""Seed examples end to end through a real visitor socket, with the targeting clock
run 50 times faster: events in, the server-side timer at the dwell threshold, the
offer frame out, the answer recorded; holdout, caps and the chat invitation."""

from __future__ import annotations

import time

import pytest
from channels.db import database_sync_to_async as db

from targeting.models import Offer
from targeting.services.identify import identify_signature
from tests.chat.wsutil import of_type, receive_until, visitor_socket
from tests.factories import CounselorFactory, SiteFactory
from tests.targeting.scenarioutil import (
    SPEED,
    fast_clock,  # noqa: F401 (autouse fixture)
    make_rule,
    no_offer,
    page,
    session,
    track,
)

pytestmark = pytest.mark.django_db(transaction=True)


async def test_bags_four_times_then_60_seconds_shows_the_bag_sale():
    site = await db(SiteFactory)()
    rule = await db(make_rule)(site, "bags_sale")
    comm, _, _ = await visitor_socket(site)
    await track(comm, session(), *[page(f"/bags/{n}", "bags") for n in range(3)])
    await no_offer(comm)  # three views: not yet
    started = time.monotonic()
    await track(comm, page("/bags/4", "bags"))
    await no_offer(comm)  # four views, but no dwell yet
    # No client message from here: the server's timer fires at the 60 s threshold
    # (1.2 s of real time at 50x).
    offer, _ = await receive_until(comm, of_type("offer"), timeout=5)
    waited = time.monotonic() - started
    assert 60 / SPEED * 0.8 <= waited < 60 / SPEED + 2
    assert offer["offer"]["rule"] == rule.pk
    assert offer["offer"]["kind"] == "banner"
    await comm.send_json_to(
        {"type": "offer_response", "offer": offer["offer"]["id"], "outcome": "rejected"}
    )
    await comm.send_json_to({"type": "ping"})
    await receive_until(comm, of_type("pong"))
    stored = await db(Offer.objects.get)(pk=offer["offer"]["id"])
    assert stored.state == "rejected" and stored.variant == "treatment"
    await comm.disconnect()


async def test_leaving_the_bags_page_before_60_seconds_shows_nothing():
    site = await db(SiteFactory)()
    await db(make_rule)(site, "bags_sale")
    comm, _, _ = await visitor_socket(site)
    await track(comm, session(), *[page(f"/bags/{n}", "bags") for n in range(4)])
    await track(comm, page("/dresses/1", "dresses"))
    await no_offer(comm, seconds=60 / SPEED + 0.5)
    assert await db(Offer.objects.count)() == 0
    await comm.disconnect()


async def test_facebook_dresses_fires_on_the_dress_page_only():
    site = await db(SiteFactory)()
    await db(make_rule)(site, "facebook_dresses")
    comm, _, _ = await visitor_socket(site)
    await track(
        comm, session(referrer="https://m.facebook.com/", utm_source="facebook")
    )
    await track(comm, page("/bags/1", "bags"))
    await no_offer(comm)
    await track(comm, page("/dresses/1", "dresses"))
    await receive_until(comm, of_type("offer"))
    await comm.disconnect()


async def test_crm_rules_use_the_signed_identity():
    site = await db(SiteFactory)()
    await db(make_rule)(site, "vip")
    comm, _, _ = await visitor_socket(site)
    await track(comm, session(), page("/"))
    await no_offer(comm)
    attrs = {"vip": True}
    ts = int(time.time())
    sig = identify_signature(site.identify_secret, ts=ts, user_id="u1", attrs=attrs)
    await track(
        comm,
        {"kind": "identify", "user_id": "u1", "attrs": attrs, "ts": ts, "sig": sig},
        page("/account"),
    )
    offer, _ = await receive_until(comm, of_type("offer"))
    assert offer["offer"]["kind"] == "banner"
    await comm.disconnect()


async def test_secret_coupon_once_per_visitor():
    site = await db(SiteFactory)()
    await db(make_rule)(site, "secret_coupon", cap_per_visitor=1)
    comm, _, _ = await visitor_socket(site)
    await track(
        comm, session(), *[page("/main", "loans", "MAIN-001") for _ in range(3)]
    )
    offer, _ = await receive_until(comm, of_type("offer"))
    await comm.send_json_to(
        {"type": "offer_response", "offer": offer["offer"]["id"], "outcome": "accepted"}
    )
    await track(comm, page("/other"), page("/main", "loans", "MAIN-001"))
    await no_offer(comm)
    assert await db(Offer.objects.count)() == 1
    await comm.disconnect()


async def test_holdout_is_recorded_but_never_shown():
    site = await db(SiteFactory)()
    rule = await db(make_rule)(site, "facebook_dresses", holdout_percent=50)
    shown = held = 0
    for n in range(8):
        comm, _, _ = await visitor_socket(site)
        await track(
            comm,
            {**session(utm_source="facebook"), "session": f"tab-session-{n:03d}"},
            {**page("/dresses/1", "dresses"), "session": f"tab-session-{n:03d}"},
        )
        await comm.send_json_to({"type": "ping"})
        _, skipped = await receive_until(comm, of_type("pong"))
        shown += any(f["type"] == "offer" for f in skipped)
        await comm.disconnect()
    states = await db(list)(
        Offer.objects.filter(rule=rule).values_list("state", flat=True)
    )
    held = states.count("held_out")
    assert len(states) == 8 and held + shown == 8
    assert shown == states.count("shown")


async def test_chat_invitation_falls_back_without_a_free_counselor_and_opens_chat():
    site = await db(SiteFactory)()
    invite = {"kind": "chat_invite", "title": "Need help?", "body": "Ask us",
              "persona": {"name": "Jiwoo"}}  # fmt: skip
    callback = {"kind": "callback", "title": "We can call you"}
    await db(make_rule)(site, "facebook_dresses", action=invite, fallback=callback)
    comm, _, _ = await visitor_socket(site)
    await track(comm, session(utm_source="facebook"), page("/dresses/1", "dresses"))
    offer, _ = await receive_until(comm, of_type("offer"))
    assert offer["offer"]["kind"] == "callback"  # nobody online
    await comm.disconnect()

    from chat.services.presence import counselor_set_status

    counselor = await db(CounselorFactory)(sites=[site])
    await db(counselor_set_status)(counselor=counselor, status="online")
    from leads.services.availability import schedule_cache_clear

    schedule_cache_clear()
    comm, _, _ = await visitor_socket(site)
    await track(
        comm,
        {**session(utm_source="facebook"), "session": "tab-session-2"},
        {**page("/dresses/2", "dresses"), "session": "tab-session-2"},
    )
    offer, _ = await receive_until(comm, of_type("offer"))
    assert offer["offer"]["kind"] == "chat_invite"
    assert offer["offer"]["persona"] is None  # a rule's invitation names no one
    await comm.send_json_to(
        {"type": "offer_response", "offer": offer["offer"]["id"], "outcome": "accepted"}
    )
    frame, _ = await receive_until(comm, of_type("conversation"))
    assert frame["conversation"]["status"] in {"queued", "active"}
    stored = await db(Offer.objects.get)(pk=offer["offer"]["id"])
    assert stored.state == "accepted" and stored.conversation_id
    await comm.disconnect()


@pytest.mark.django_db
def test_unanswered_offers_of_closed_sockets_become_ignored():
    from datetime import timedelta

    from django.utils import timezone

    from targeting.services.offers import offers_expire
    from tests.factories import VisitorFactory

    site = SiteFactory()
    rule = make_rule(site, "vip", offer_timeout_seconds=30)
    visitor = VisitorFactory(site=site)
    now = timezone.now()
    old, fresh, answered = (
        Offer.objects.create(rule=rule, site=site, visitor=visitor, kind="banner",
                             shown_at=now - timedelta(seconds=age), state=state)
        for age, state in ((90, "shown"), (40, "shown"), (90, "rejected"))
    )  # fmt: skip
    assert offers_expire(now=now) == 1
    states = dict(Offer.objects.values_list("pk", "state"))
    assert (states[old.pk], states[fresh.pk], states[answered.pk]) == (
        "ignored", "shown", "rejected",
    )  # fmt: skip
