"""Issue 8, item 6 in chromium: the counselor going offline mid-chat is shown to the
visitor at once, and with nobody online the queue offers the callback instead of
"You are number 1 in line"."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import DESKTOP, counselor_socket, orm, part, send_message
from tests.support.servers import demo_server

pytestmark = pytest.mark.e2e

# Open whenever a counselor is: no opening periods, no closures.
ALWAYS_OPEN = """
from chat.models import Site
from leads.models import Closure, OpeningPeriod
site = Site.objects.get(name="Demo shop")
OpeningPeriod.objects.filter(site=site).delete()
Closure.objects.filter(site=site).delete()
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {
        "CHAT_HEARTBEAT_SECONDS": "1",
        # Far above the test's waits: only an explicit "offline" can explain them.
        "CHAT_PRESENCE_GRACE_SECONDS": "600",
    }
    with demo_server(tmp_path_factory.mktemp("offline"), extra_env=env) as chat:
        orm(chat, ALWAYS_OPEN)
        yield chat


@pytest.fixture
def open_page(browser):
    contexts = []

    def make(url, **options):
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        return page

    yield make
    for context in contexts:
        context.close()


def test_counselor_going_offline_turns_the_queue_into_a_callback_offer(
    server, open_page, screenshot
):
    with counselor_socket(server.url) as counselor:
        counselor.send(type="status", status="online")
        counselor.receive("status")
        page = open_page(f"{server.url}/demo/", viewport=DESKTOP)
        part(page, ".launcher").click()
        send_message(page, "Is the tote in stock?")
        avatar = part(page, ".avatar")
        expect(avatar).to_have_class(re.compile(r"\bonline\b"), timeout=10_000)
        expect(part(page, ".queue")).to_be_hidden()

        counselor.send(type="status", status="offline")

        queue = part(page, ".queue")
        expect(queue).to_be_visible(timeout=5_000)  # not after the grace
        expect(avatar).not_to_have_class(re.compile(r"\bonline\b"))
        expect(queue).to_contain_text("No counselor is available right now")
        expect(queue).not_to_contain_text("in line")
        expect(part(page, ".queue-cb")).to_be_visible()
        screenshot(page, "widget-queue-nobody-online")

        # Someone comes back: the place in line (or the chat) returns.
        counselor.send(type="status", status="online")
        expect(avatar).to_have_class(re.compile(r"\bonline\b"), timeout=10_000)
