"""Helpers of the targeting scenario tests (a real visitor socket, the targeting
clock 50 times faster): seed rules saved like the admin does, tracking events,
and "no offer came"."""

from __future__ import annotations

import pytest

from targeting import clock
from targeting.engine.seed_rules import SEED_RULES
from targeting.models import Rule
from targeting.services.rules import rules_cache_clear
from tests.chat.wsutil import of_type, receive_until

SPEED = 50.0
S = "tab-session-1"
SHOP = "https://shop.example.com"
SEED = {seed.key: seed for seed in SEED_RULES}


@pytest.fixture(autouse=True)
def fast_clock():
    clock.set_speed(SPEED)
    rules_cache_clear()
    yield
    clock.set_speed(1.0)
    rules_cache_clear()


def make_rule(site, key, **extra) -> Rule:
    seed = SEED[key]
    rule = Rule(
        site=site,
        name=key,
        condition=seed.condition,
        target_pages=list(seed.target_pages),
        priority=seed.priority,
        action=extra.pop("action", {"kind": "banner", "title": seed.action[:100]}),
        **extra,
    )
    rule.full_clean()
    rule.save()
    return rule


def session(**inflow):
    return {"kind": "session", "session": S, "landing": f"{SHOP}/", **inflow}


def page(path, category=None, product=None):
    event = {"kind": "page_view", "session": S, "url": f"{SHOP}{path}"}
    if category:
        event["category"] = category
    if product:
        event["product"] = {"id": product, "price": 10000}
    return event


async def track(comm, *events):
    await comm.send_json_to({"type": "track", "events": list(events)})


async def no_offer(comm, seconds: float = 0.4):
    await comm.send_json_to({"type": "ping"})
    _, skipped = await receive_until(comm, of_type("pong"), timeout=seconds + 5)
    assert not [f for f in skipped if f["type"] == "offer"], skipped
