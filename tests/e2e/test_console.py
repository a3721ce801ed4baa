"""The counselor console in a real browser against a real daphne server: what the
counselor sees and does. Visitors are played by Python over real WebSockets (the
`websockets` package), the counselor by Debian's chromium through Playwright.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    SHOTS,
    XSS,
    Visitor,
    chat_item,
    console,
    console_server,
    fresh,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with console_server(tmp_path_factory.mktemp("console")) as running:
        yield running


@pytest.fixture
def live(server):
    return fresh(server)


def test_visitor_text_is_shown_literally_and_replies_reach_the_visitor(live, browser):
    with console(browser, live, login_shot="login.png") as page:
        page.screenshot(path=SHOTS / "console-empty.png")
        # Away: the chat waits in the queue instead of being auto-assigned.
        page.select_option("[data-action=status]", "away")
        expect(page.locator("[data-region=status-wrap]")).to_have_attribute(
            "data-status", "away"
        )
        visitor = Visitor(live).connect()
        visitor.send(XSS + "\nsecond line")

        queued = page.locator(".queue-item")
        expect(queued).to_have_count(1)
        expect(queued.locator(".item-preview")).to_have_text(
            XSS + "\nsecond line", use_inner_text=False
        )
        expect(queued.locator(".wait")).to_have_text(re.compile(r"^\d+s$"))
        page.screenshot(path=SHOTS / "console-queue.png")

        queued.get_by_role("button", name=re.compile("Accept")).click()
        expect(page.locator(".queue-item")).to_have_count(0)
        text = page.locator(".messages .msg-visitor .msg-text")
        expect(text).to_have_count(1)
        assert text.evaluate("el => el.textContent") == XSS + "\nsecond line"
        assert text.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
        page.wait_for_timeout(300)  # an injected onerror would have fired by now
        for selector in (
            ".messages img",
            ".messages b",
            ".chat-list img",
            ".chat-list b",
        ):
            assert page.locator(selector).count() == 0, selector
        assert page.evaluate("typeof window.__xss") == "undefined"

        visitor.frame(type="typing", typing=True)
        expect(page.locator("[data-region=typing]")).to_contain_text("is typing")

        composer = page.locator("[data-region=composer-input]")
        composer.click()
        page.keyboard.type("Hello! Line one")
        page.keyboard.press("Shift+Enter")
        page.keyboard.type("line two")
        page.keyboard.press("Enter")
        reply = "Hello! Line one\nline two"
        message = visitor.wait_for(
            lambda f: f["type"] == "message" and f["message"]["body"] == reply
        )
        assert message["message"]["sender"]["kind"] == "agent"
        expect(composer).to_have_value("")
        own_status = page.locator(".msg-own .msg-status").last
        expect(own_status).to_have_text("Sent")

        # The visitor reads it: the console shows the receipt.
        visitor.frame(
            type="read",
            conversation=visitor.conversation_id,
            seq=message["message"]["seq"],
        )
        expect(own_status).to_have_text("Read")

        # An internal note stays with the counselors.
        page.click("[data-action=note]")
        composer.fill("Customer asked about bags; VIP?")
        page.keyboard.press("Enter")
        expect(page.locator(".messages .msg-note .msg-text")).to_have_text(
            "Customer asked about bags; VIP?"
        )
        page.click("[data-action=note]")

        page.click("[data-action=card]")
        card = page.locator("[data-region=card-form]")
        card.locator("input[name=title]").fill("Leather tote <script>")
        card.locator("input[name=price]").fill("₩89,000")
        card.locator("input[name=url]").fill("https://shop.example.com/tote")
        card.locator("button[type=submit]").click()
        card_frame = visitor.wait_for(
            lambda f: f["type"] == "message" and f["message"]["kind"] == "card"
        )
        assert card_frame["message"]["payload"]["title"] == "Leather tote <script>"
        assert (
            card_frame["message"]["payload"]["url"] == "https://shop.example.com/tote"
        )
        expect(page.locator(".messages .card-title")).to_have_text(
            "Leather tote <script>"
        )
        assert [m["kind"] for m in visitor.agent_messages()] == ["text", "card"]
        page.screenshot(path=SHOTS / "console-chat.png")

        page.click("[data-action=close]")
        page.click("[data-action=close]")  # the second click confirms
        closed = visitor.wait_for(
            lambda f: f["type"] == "conversation"
            and f["conversation"]["status"] == "closed"
        )
        assert closed["reason"] == "closed"
        expect(page.locator("[data-region=closed-note]")).to_be_visible()
        expect(page.locator("[data-action=dismiss]")).to_be_visible()
        page.screenshot(path=SHOTS / "console-closed.png")
        visitor.close()

        page.get_by_role("button", name="Log out").click()
        expect(page).to_have_url(re.compile(r"/console/login/$"))


def test_returning_visitor_is_highlighted_and_badges_the_title(live, browser):
    with console(browser, live) as page:
        first = Visitor(live).connect()
        first.send("I am the first chat")
        second = Visitor(live).connect()
        second.send("I will come back")
        items = page.locator(".chat-item")
        expect(items).to_have_count(2)
        # The first chat is open; the second one collects an unread count.
        expect(page.locator(".chat-item.is-selected")).to_contain_text(
            "I am the first chat"
        )
        returning = page.locator(".chat-item", has_text="I will come back")
        expect(returning.locator(".unread")).to_have_text("1")

        second.close()
        expect(returning.locator(".item-status")).to_have_text("Visitor away")
        second.connect()
        second.send("I'm back <b>now</b>")
        returning = page.locator(".chat-item.is-returned")
        expect(returning).to_have_count(1)
        expect(returning).to_contain_text("I'm back <b>now</b>")
        expect(returning.locator(".item-status")).to_have_text("Visitor is back")
        page.wait_for_function(
            "document.title.includes('Visitor is back')", timeout=3000
        )
        page.screenshot(path=SHOTS / "console-returned.png")

        returning.click()
        expect(page.locator(".chat-item.is-returned")).to_have_count(0)
        expect(page.locator("[data-region=conv-status]")).to_have_text("Active")
        page.wait_for_function(
            "!document.title.includes('Visitor is back')", timeout=3000
        )
        # Opening the chat marks it read, and the visitor hears of it.
        second.wait_for(lambda f: f["type"] == "read" and f["reader"] == "agent")
        first.close()
        second.close()


def test_transfer_hands_the_chat_to_an_online_colleague(live, browser):
    with (
        console(browser, live, username="manager") as manager,
        console(browser, live) as page,
    ):
        # The manager is away while the visitor arrives, so routing picks the counselor.
        manager.select_option("[data-action=status]", "away")
        expect(manager.locator("[data-region=status-wrap]")).to_have_attribute(
            "data-status", "away"
        )
        visitor = Visitor(live).connect()
        visitor.send("Can someone senior help?")
        expect(page.locator(".chat-item")).to_have_count(1)
        manager.select_option("[data-action=status]", "online")
        expect(manager.locator("[data-region=status-wrap]")).to_have_attribute(
            "data-status", "online"
        )

        page.click("[data-action=transfer]")
        dialog = page.locator("[data-region=transfer-dialog]")
        expect(dialog).to_be_visible()
        target = dialog.locator(".target", has_text="Minseo Park")
        expect(target).to_be_enabled()
        expect(dialog.locator(".target", has_text="Sales")).to_be_visible()
        page.screenshot(path=SHOTS / "console-transfer.png")
        target.click()

        moved = visitor.wait_for(
            lambda f: f["type"] == "conversation"
            and (f["conversation"]["agent"] or {}).get("name") == "Minseo Park"
        )
        assert moved["conversation"]["status"] == "active"
        expect(page.locator(".chat-item")).to_have_count(0)
        expect(page.locator(".toast")).to_contain_text("now with Minseo Park")
        # The colleague gets the chat with its history.
        expect(manager.locator(".messages .msg-visitor .msg-text")).to_have_text(
            ["Can someone senior help?"]
        )
        manager.locator("[data-region=composer-input]").fill("Hello, I am the manager.")
        manager.keyboard.press("Enter")
        reply = visitor.wait_for(
            lambda f: f["type"] == "message"
            and f["message"]["sender"]["kind"] == "agent"
        )
        assert reply["message"]["body"] == "Hello, I am the manager."
        assert reply["message"]["sender"]["name"] == "Minseo Park"
        visitor.close()


def test_refused_send_is_marked_failed_and_shown_as_a_toast(live, browser):
    with console(browser, live) as page:
        visitor = Visitor(live).connect()
        visitor.send("Send me the catalogue")
        expect(chat_item(page, "Visitor")).to_have_count(1)
        page.click("[data-action=card]")
        card = page.locator("[data-region=card-form]")
        card.locator("input[name=title]").fill("Catalogue")
        # The browser accepts any scheme in a URL field; the server takes http(s) only.
        card.locator("input[name=image]").fill("ftp://files.example.com/c.png")
        card.locator("button[type=submit]").click()
        failed = page.locator(".msg.is-failed")
        expect(failed).to_have_count(1)
        expect(failed.locator(".msg-status")).to_contain_text("http(s) URL")
        expect(page.locator(".toast-error")).to_contain_text("http(s) URL")
        page.screenshot(path=SHOTS / "console-failed-send.png")
        failed.get_by_role("button", name="Discard").click()
        expect(page.locator(".msg.is-failed")).to_have_count(0)
        assert visitor.agent_messages() == []
        visitor.close()


def test_signed_out_console_goes_to_the_login_page(live, browser):
    with console(browser, live) as page:
        # Log out in another tab of the same browser: the session is gone.
        other = page.context.new_page()
        other.goto(f"{live.url}/console/")
        other.get_by_role("button", name="Log out").click()
        expect(other).to_have_url(re.compile(r"/console/login/$"))
        # A live socket keeps its login; the next connection is refused (HTTP 403,
        # which the browser reports as 1006), so the console asks the page itself.
        page.evaluate("window.consoleApp.socket.reconnect()")
        expect(page).to_have_url(re.compile(r"/login/\?next=%2Fconsole%2F$"))
        expect(page.locator("input[name=username]")).to_be_visible()
