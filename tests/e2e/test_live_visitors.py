"""Live visitors in the counselor console, in chromium against a real daphne server:
a visitor browses the demo shop (localhost origin, tracked by the widget) to a bag;
the console's "Live visitors" list shows them on that page within a refresh (10 s);
the counselor opens the visitor's journey, invites them; the widget shows the
invitation; the visitor accepts and the counselor gets the chat.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    DESKTOP,
    W,
    counselor_online,
    log_in,
    part,
    rows,
    shop,
)
from tests.support.servers import demo_server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

REFRESH = 10_000  # the console's refresh of the list (visitors.js)
MESSAGE = "Hi! Questions about the <b>tote</b>? I can help."
TOTE_TITLE = "Leather tote — Maison Demo"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Its own server: the counselor goes online and takes the chat."""
    with demo_server(
        tmp_path_factory.mktemp("live-visitors"),
        extra_env={"CHAT_HEARTBEAT_SECONDS": "2"},
    ) as running:
        yield running


def test_counselor_sees_a_live_visitor_invites_them_and_gets_the_chat(
    server, contexts, screenshot
):
    console = contexts(viewport={"width": 1400, "height": 900})
    counselor_online(console, server)
    section = console.locator("[data-region=visitors-section]")
    toggle = section.locator("[data-action=toggle-visitors]")
    count = section.locator("[data-region=visitors-count]")
    empty = section.locator("[data-region=visitors-empty]")
    expect(empty).to_have_text("No visitors right now")
    expect(count).to_have_text("0")

    # Collapsible, and the choice sticks across a reload.
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(section.locator("[data-region=visitors-body]")).to_be_hidden()
    console.reload()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    toggle.click()
    expect(section.locator("[data-region=visitors-body]")).to_be_visible()
    expect(console.locator("[data-region=connection]")).to_have_attribute(
        "data-state", "open"
    )

    # The visitor: the shop's home, then Bags, then a bag (an SPA route), into the cart.
    visitor = contexts(viewport=DESKTOP)
    visitor.goto(shop(server))
    expect(part(visitor, ".launcher")).to_be_visible()
    visitor.locator("nav.categories a", has_text="Bags").click()
    expect(visitor.locator("[data-list-title]")).to_have_text("Bags")
    visitor.locator("a[data-action=product]", has_text="Leather tote").click()
    expect(visitor.locator("[data-detail-name]")).to_have_text("Leather tote")
    expect(visitor).to_have_title(TOTE_TITLE)
    visitor.locator("[data-detail] [data-action=add-to-cart]").click()
    expect(visitor.locator("[data-cart-count]")).to_have_text("1")

    # Within a refresh the console lists the visitor on that page.
    row = section.locator(".visitor-item")
    expect(row).to_have_count(1, timeout=REFRESH + 5_000)
    expect(row.locator(".lv-page")).to_have_text(TOTE_TITLE, timeout=REFRESH + 5_000)
    expect(row.locator(".lv-page")).to_have_attribute(
        "title", re.compile(r"/demo/\?.*product=bag-tote-01")
    )
    expect(count).to_have_text("1")
    expect(empty).to_be_hidden()
    name = row.locator(".item-name").text_content()
    assert name
    expect(row.locator(".lv-time")).to_have_text(re.compile(r"^\d+:\d\d$"))
    expect(row.locator(".lv-source")).to_have_text("direct")
    expect(row.locator(".lv-device-label")).to_have_text("Desktop")
    expect(row.locator(".lv-device svg")).to_have_count(1)
    expect(row.locator(".lv-cart")).to_have_text("Cart: 1 item · ₩129,000")
    # Time on site runs between refreshes.
    first = row.locator(".lv-time").text_content()
    expect(row.locator(".lv-time")).not_to_have_text(first, timeout=3_000)

    # The formatting of time on site: m:ss under an hour, then h:mm.
    formatted = console.evaluate(
        """async () => {
            const m = await import('/static/agents_ui/visitors.js');
            return [0, 65, 3599, 3725].map(m.fmtOnSite);
        }"""
    )
    assert formatted == ["0:00", "1:05", "59:59", "1:02"]
    screenshot(console, "live-visitors-list")

    # Both bag pages are in the record before the drawer loads the journey (a page
    # left quickly reports by beacon, which a busy machine may deliver late).
    bag_views = (
        "select count(*) from targeting_trackevent"
        " where kind = 'page_view' and data like '%\"category\": \"bags\"%'"
    )
    wait_until(lambda: rows(server, bag_views)[0][0] >= 2, 15, "both bag page views")

    # The row opens the drawer: the journey, and the invitation form.
    row.click()
    drawer = console.locator("[data-region=visitor-drawer]")
    expect(drawer).to_be_visible()
    expect(row).to_have_attribute("aria-expanded", "true")
    expect(drawer.locator(".lv-drawer-title")).to_have_text(name)
    journey = drawer.locator("[data-region=visitor-journey]")
    expect(journey.locator(".j-page.is-current .j-page-title")).to_have_text(TOTE_TITLE)
    expect(journey.locator(".j-page[data-category=bags]")).to_have_count(2)
    invite = drawer.get_by_role("button", name="Invite to chat")
    expect(invite).to_be_enabled()
    drawer.locator("[data-region=invite-message]").fill(MESSAGE)
    screenshot(console, "live-visitors-drawer")
    invite.click()
    invited = drawer.locator("[data-action=invite]")
    expect(invited).to_have_text("Invited")
    expect(invited).to_be_disabled()
    expect(row.locator(".lv-invited")).to_have_text("Invited")
    # The journey shows the manual invitation among the offers.
    expect(journey.locator(".j-list li", has_text="Manual invitation")).to_have_count(1)
    screenshot(console, "live-visitors-invited")

    # The widget shows the invitation, literally; the visitor accepts.
    offer = part(visitor, ".offer[data-kind=chat_invite]")
    expect(offer).to_be_visible(timeout=10_000)
    expect(offer.locator(".offer-body")).to_have_text(MESSAGE)
    assert visitor.locator(f"{W} .offer b").count() == 0
    screenshot(visitor, "live-visitors-widget-invitation")
    offer.get_by_role("button", name="Chat now").click()
    expect(offer).to_have_count(0)
    expect(part(visitor, ".win")).to_be_visible()

    # The counselor (the only one online) gets the chat.
    chat = console.locator(".chat-item", has_text=name)
    expect(chat).to_be_visible(timeout=15_000)
    part(visitor, "textarea").fill("Is the tote available in brown?")
    part(visitor, ".send").click()
    console.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    chat.click()
    expect(console.locator("[data-region=messages]")).to_contain_text(
        "Is the tote available in brown?"
    )

    # "Invited" holds for 2 minutes for that visitor, also after a reload.
    console.reload()
    row = console.locator(".visitor-item")
    expect(row).to_have_count(1)
    expect(row.locator(".lv-invited")).to_have_text("Invited")
    row.click()
    expect(console.locator("[data-action=invite]")).to_be_disabled()
    assert not visitor.errors and not console.errors


def test_the_list_needs_a_signed_in_counselor(server, contexts):
    page = contexts(viewport=DESKTOP)
    response = page.request.get(f"{server.url}/api/visitors/live/")
    assert response.status in (401, 403)
    log_in(page, server, "counselor")
    response = page.request.get(f"{server.url}/api/visitors/live/")
    assert response.status == 200
    assert "visitors" in response.json()
