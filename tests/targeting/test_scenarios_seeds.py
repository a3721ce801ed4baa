"""The remaining seed examples through a real visitor socket (fast clock): each
fires when it should and not otherwise. See test_scenarios.py for the first ones."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from channels.db import database_sync_to_async as db

from targeting.models import Offer
from targeting.services.identify import identify_signature
from tests.chat.wsutil import of_type, receive_until, visitor_socket
from tests.factories import SiteFactory
from tests.targeting.scenarioutil import (
    fast_clock,  # noqa: F401 (autouse fixture)
    make_rule,
    no_offer,
    page,
    session,
    track,
)

pytestmark = pytest.mark.django_db(transaction=True)


def identify(site, **attrs):
    ts = int(time.time())
    sig = identify_signature(site.identify_secret, ts=ts, user_id="u1", attrs=attrs)
    return {"kind": "identify", "user_id": "u1", "attrs": attrs, "ts": ts, "sig": sig}


async def visitor_with(site, key, **extra):
    await db(make_rule)(site, key, **extra)
    comm, _, hello = await visitor_socket(site)
    await track(comm, session())
    return comm, hello


async def offered(comm):
    frame, _ = await receive_until(comm, of_type("offer"), timeout=5)
    return frame["offer"]


@pytest.mark.parametrize(("days", "fires"), [(3, True), (30, False)])
async def test_loan_maturing_within_7_days(days, fires):
    site = await db(SiteFactory)()
    comm, _ = await visitor_with(site, "loan_maturity")
    maturity = (date.today() + timedelta(days=days)).isoformat()
    await track(comm, identify(site, loan_maturity_date=maturity), page("/loans"))
    if fires:
        await offered(comm)
    else:
        await no_offer(comm)
    await comm.disconnect()


async def test_limit_check_completed_shows_the_loan_banner():
    site = await db(SiteFactory)()
    comm, _ = await visitor_with(site, "limit_checked")
    await track(comm, {"kind": "checkout", "session": "tab-session-1",
                       "step": "limit_check"}, page("/loans/limit"))  # fmt: skip
    await no_offer(comm)  # on the step, not past it
    await track(comm, {"kind": "checkout", "session": "tab-session-1",
                       "step": "result"}, page("/loans/result"))  # fmt: skip
    await offered(comm)
    await comm.disconnect()


async def test_big_spender_by_purchases_in_six_months():
    site = await db(SiteFactory)()
    comm, _ = await visitor_with(site, "big_spender")
    order = {"kind": "purchase", "session": "tab-session-1", "order": "O-1",
             "amount": 2_000_000}  # fmt: skip
    await track(comm, order, page("/thanks"))
    await no_offer(comm)
    await track(comm, {**order, "order": "O-2", "amount": 1_500_000}, page("/"))
    await offered(comm)
    await comm.disconnect()


async def test_stuck_on_payment_for_two_minutes_gets_help():
    site = await db(SiteFactory)()
    comm, _ = await visitor_with(site, "help_offer")
    started = time.monotonic()
    await track(comm, {"kind": "checkout", "session": "tab-session-1",
                       "step": "payment"}, page("/checkout/payment"))  # fmt: skip
    await no_offer(comm)
    offer = await offered(comm)  # the timer, at 2 minutes (2.4 s at 50x)
    assert time.monotonic() - started >= 120 / 50 * 0.8
    assert offer["kind"] == "banner"
    await comm.disconnect()


@pytest.mark.parametrize(("holder", "fires"), [(False, True), (True, False)])
async def test_card_helper_only_for_visitors_without_a_card(holder, fires):
    site = await db(SiteFactory)()
    comm, _ = await visitor_with(site, "card_helper")
    await track(comm, identify(site, card_holder=holder), page("/cards/apply/step1"))
    if fires:
        await offered(comm)
    else:
        await no_offer(comm)
    await comm.disconnect()


async def test_card_helper_not_off_its_pages():
    site = await db(SiteFactory)()
    comm, _ = await visitor_with(site, "card_helper")
    await track(comm, identify(site, card_holder=False), page("/cards"))
    await no_offer(comm)
    await comm.disconnect()


async def test_cart_reminder_after_adding_and_not_paying():
    site = await db(SiteFactory)()
    comm, _ = await visitor_with(site, "cart_reminder")
    await track(comm, page("/bags/1", "bags"))
    await no_offer(comm)
    add = {"kind": "cart_add", "session": "tab-session-1",
           "product": {"id": "tote", "price": 10000}}  # fmt: skip
    await track(comm, add, page("/cart"))
    await offered(comm)
    await comm.disconnect()


async def test_promotion_excludes_who_bought_the_item():
    site = await db(SiteFactory)()
    comm, _ = await visitor_with(site, "promo_excludes_buyers")
    await track(
        comm,
        {"kind": "purchase", "session": "tab-session-1", "order": "O-9",
         "amount": 50000, "items": [{"id": "PROMO-42", "price": 50000}]},
        page("/items/promo-42", product="PROMO-42"),
    )  # fmt: skip
    await no_offer(comm)
    assert await db(Offer.objects.count)() == 0
    await comm.disconnect()
    site2 = await db(SiteFactory)()
    comm, _ = await visitor_with(site2, "promo_excludes_buyers")
    await track(comm, page("/items/promo-42", product="PROMO-42"))
    await offered(comm)
    await comm.disconnect()


@pytest.mark.parametrize(
    ("seoul_hour", "winner"), [(23, "card_night_booking"), (14, "card_helper")]
)
async def test_at_night_the_phone_booking_wins_over_the_helper(seoul_hour, winner):
    from datetime import UTC, datetime

    from targeting import clock

    # The site's zone is Asia/Seoul (UTC+9): pick the hour of the scenario.
    clock.set_speed(50.0, start=datetime(2026, 11, 25, (seoul_hour - 9) % 24, 0,
                                         tzinfo=UTC))  # fmt: skip
    site = await db(SiteFactory)()
    rules = {}
    for key in ("card_helper", "card_night_booking"):
        rules[key] = await db(make_rule)(site, key)
    comm, _, _ = await visitor_socket(site)
    await track(comm, session(), identify(site, card_holder=False),
                page("/cards/apply/step1"))  # fmt: skip
    offer = await offered(comm)
    assert offer["rule"] == rules[winner].pk
    await comm.disconnect()
