"""Targeting in chromium on the demo shop (issue 3, "Done when"): a visitor views bags
four times and stays 60 s, the invitation appears in the widget, accepting opens a chat
the counselor sees with the rule's note and the visitor's journey. With nobody online
the rule's fallback, a callback offer, appears instead and opens the callback form.

The server's targeting clock runs 20 times faster (TARGETING_CLOCK_SPEED): the 60 s of
dwell take 3 s. Every other wait is on something observable (a row, an element).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    DESKTOP,
    PHONE,
    counselor_online,
    orm,
    part,
    rows,
    shop,
)
from tests.support.servers import demo_server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

RULE = "Bag sale"
INVITE_TITLE = "Bag sale: 20% off today"

SETUP = f"""
from chat.models import Site
from targeting.models import Rule
from targeting.engine.seed_rules import SEED_RULES
seed = next(r for r in SEED_RULES if r.key == "bags_sale")
rule = Rule(
    site=Site.objects.get(name="Demo shop"),
    name={RULE!r},
    priority=seed.priority,
    condition=seed.condition,
    target_pages=list(seed.target_pages),
    action={{
        "kind": "chat_invite",
        "title": {INVITE_TITLE!r},
        "body": "Questions about a bag? Ask me.",
        "persona": {{"name": "Jiwoo"}},
    }},
    fallback={{"kind": "callback", "title": "We can call you"}},
)
rule.full_clean()
rule.save()
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {
        "TARGETING_CLOCK_SPEED": "20",
        "CHAT_HEARTBEAT_SECONDS": "2",
        "CHAT_PRESENCE_GRACE_SECONDS": "600",
    }
    with demo_server(tmp_path_factory.mktemp("targeting"), extra_env=env) as running:
        # Before any visitor connects: the rules cache is filled on first use.
        orm(running, SETUP)
        yield running


def settle(locator):
    """Wait for the element's entrance animation to end (for screenshots)."""
    locator.evaluate("el => Promise.all(el.getAnimations().map(a => a.finished))")


def bag_views(server) -> int:
    return rows(
        server,
        "SELECT count(*) FROM targeting_trackevent WHERE kind = 'page_view' "
        "AND json_extract(data, '$.category') = 'bags'",
    )[0][0]


def view_bags_four_times(page, server):
    """Category page, a product (SPA route), another product, the category again;
    each view waits until the server has recorded it before the next navigation."""
    start = bag_views(server)

    def recorded(n):
        wait_until(lambda: bag_views(server) >= start + n, 15, f"bag page view {n}")

    page.goto(shop(server, "category=bags"))
    recorded(1)
    page.locator("a[data-action=product]", has_text="Leather tote").click()
    expect(page.locator("[data-detail-name]")).to_have_text("Leather tote")
    recorded(2)
    page.goto(shop(server, "product=bag-cross-02"))
    expect(page.locator("[data-detail-name]")).to_have_text("Mini crossbody")
    recorded(3)
    page.goto(shop(server, "category=bags"))
    recorded(4)
    expect(part(page, ".launcher")).to_be_visible()


def offer_states(server, kind: str) -> list[str]:
    return [
        r[0]
        for r in rows(server, "SELECT state FROM targeting_offer WHERE kind = ?", kind)
    ]


def test_nobody_online_shows_the_callback_fallback_which_opens_the_form(
    server, contexts, screenshot
):
    page = contexts(viewport=PHONE, is_mobile=True, has_touch=True)
    view_bags_four_times(page, server)

    offer = part(page, ".offer[data-kind=callback]")
    expect(offer).to_be_visible(timeout=20_000)  # after the 60 s dwell (3 s)
    expect(offer).to_have_attribute("role", "region")
    expect(offer.locator(".offer-title")).to_have_text("We can call you")
    expect(part(page, ".offer[data-kind=chat_invite]")).to_have_count(0)
    box = offer.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    settle(offer)
    screenshot(page, "targeting-callback-offer-phone")
    assert offer_states(server, "callback") == ["shown"]

    offer.get_by_role("button", name="Yes, call me").click()
    expect(offer).to_have_count(0)
    expect(part(page, ".win")).to_be_visible()
    expect(part(page, "#lc-name")).to_be_visible()
    expect(part(page, ".lead-intro")).to_have_text(
        "Leave your number and we will call you back."
    )
    wait_until(lambda: offer_states(server, "callback") == ["accepted"], 15, "accepted")
    settle(part(page, ".win"))
    screenshot(page, "targeting-callback-form-phone")
    assert not page.errors


def test_bag_browser_is_invited_and_the_counselor_gets_the_chat_with_the_journey(
    server, contexts, screenshot
):
    console = contexts(viewport={"width": 1400, "height": 900})
    counselor_online(console, server)

    visitor = contexts(viewport=DESKTOP)
    view_bags_four_times(visitor, server)

    invite = part(visitor, ".offer[data-kind=chat_invite]")
    expect(invite).to_be_visible(timeout=20_000)
    expect(invite.locator(".offer-title")).to_have_text(INVITE_TITLE)
    expect(invite.locator(".offer-body")).to_have_text("Questions about a bag? Ask me.")
    # The rule's persona "Jiwoo" is not shown: "Chat now" goes to whoever is free.
    expect(invite.locator(".offer-name")).to_have_text("Counselor")
    expect(invite.locator(".offer-online")).to_have_text("Online now")
    expect(part(visitor, ".win")).to_be_hidden()
    settle(invite)
    screenshot(visitor, "targeting-invitation")

    # Escape is "no thanks" elsewhere; here the visitor accepts.
    invite.get_by_role("button", name="Chat now").click()
    expect(invite).to_have_count(0)
    expect(part(visitor, ".win")).to_be_visible()
    expect(part(visitor, "textarea")).to_be_visible()
    # The invitation's words open the chat.
    first = part(visitor, ".msg[data-seq]").first
    expect(first).to_contain_text(INVITE_TITLE)
    expect(first).to_contain_text("Questions about a bag? Ask me.")
    wait_until(
        lambda: offer_states(server, "chat_invite") == ["accepted"], 15, "accepted"
    )

    # Routing gives the chat to the only counselor online.
    chat = console.locator(".chat-item").first
    expect(chat).to_be_visible(timeout=15_000)
    chat.click()
    messages = console.locator("[data-region=messages]")
    expect(messages).to_contain_text(f"Invited by the rule \u201c{RULE}\u201d")
    expect(messages.locator(".msg").first).to_contain_text(INVITE_TITLE)
    journey = console.locator("[data-region=journey]")
    expect(journey.locator(".j-live")).to_have_text("Live")
    bag_pages = journey.locator(".j-page[data-category=bags]")
    expect(bag_pages).to_have_count(4)
    expect(journey).to_contain_text("Leather tote")
    expect(journey).to_contain_text("Mini crossbody")
    offer_row = journey.locator(".j-list li", has_text=f"{RULE} · Chat invitation")
    expect(offer_row.locator(".j-state")).to_have_text("accepted")
    dwell = journey.locator(".j-page.is-current .j-dwell")
    expect(dwell).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(journey).not_to_contain_text("null")
    screenshot(console, "targeting-console-journey")
    journey.locator(".j-block").last.scroll_into_view_if_needed()
    screenshot(console, "targeting-console-journey-offers")

    # The visitor writes; the counselor sees it in the same chat.
    part(visitor, "textarea").fill("Is the tote available in brown?")
    part(visitor, ".send").click()
    expect(messages).to_contain_text("Is the tote available in brown?")
    assert not visitor.errors and not console.errors


def test_dismissing_an_offer_with_escape_rejects_it(server, contexts):
    """A returning bag browser gets the rule again (no cap); Escape says no."""
    page = contexts(viewport=DESKTOP)
    orm(
        server,
        "from chat.models import Conversation as C; "
        "C.objects.exclude(status='closed').update(status='closed')",
    )
    view_bags_four_times(page, server)
    offer = part(page, ".offer")
    expect(offer).to_be_visible(timeout=20_000)
    before = len(
        rows(server, "SELECT id FROM targeting_offer WHERE state = 'rejected'")
    )
    offer.locator(".offer-x").focus()
    page.keyboard.press("Escape")
    expect(offer).to_have_count(0)
    wait_until(
        lambda: len(
            rows(server, "SELECT id FROM targeting_offer WHERE state = 'rejected'")
        )
        == before + 1,
        15,
        "rejected",
    )
    expect(part(page, ".win")).to_be_hidden()
