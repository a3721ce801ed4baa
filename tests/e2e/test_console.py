"""The counselor console in a real browser against a real daphne server: what the
counselor sees and does. Visitors are played by Python over real WebSockets (the
`websockets` package), the counselor by Debian's chromium through Playwright.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from tests.e2e.console_support import (
    SHOTS,
    XSS,
    Visitor,
    chat_item,
    console,
    fresh,
    own_loop,
    running_server,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server():
    yield from running_server()


@pytest.fixture
def live(server):
    return fresh(server)


@own_loop
async def test_visitor_text_is_shown_literally_and_replies_reach_the_visitor(live):
    async with console(live, login_shot="login.png") as page:
        await page.screenshot(path=SHOTS / "console-empty.png")
        # Away: the chat waits in the queue instead of being auto-assigned.
        await page.select_option("[data-action=status]", "away")
        await expect(page.locator("[data-region=status-wrap]")).to_have_attribute(
            "data-status", "away"
        )
        visitor = await Visitor(live).connect()
        await visitor.send(XSS + "\nsecond line")

        queued = page.locator(".queue-item")
        await expect(queued).to_have_count(1)
        await expect(queued.locator(".item-preview")).to_have_text(
            XSS + "\nsecond line", use_inner_text=False
        )
        await expect(queued.locator(".wait")).to_have_text(re.compile(r"^\d+s$"))
        await page.screenshot(path=SHOTS / "console-queue.png")

        await queued.get_by_role("button", name=re.compile("Accept")).click()
        await expect(page.locator(".queue-item")).to_have_count(0)
        text = page.locator(".messages .msg-visitor .msg-text")
        await expect(text).to_have_count(1)
        assert await text.evaluate("el => el.textContent") == XSS + "\nsecond line"
        assert (
            await text.evaluate("el => getComputedStyle(el).whiteSpace") == "pre-wrap"
        )
        await page.wait_for_timeout(300)  # an injected onerror would have fired by now
        for selector in (
            ".messages img",
            ".messages b",
            ".chat-list img",
            ".chat-list b",
        ):
            assert await page.locator(selector).count() == 0, selector
        assert await page.evaluate("typeof window.__xss") == "undefined"

        await visitor.frame(type="typing", typing=True)
        await expect(page.locator("[data-region=typing]")).to_contain_text("is typing")

        composer = page.locator("[data-region=composer-input]")
        await composer.click()
        await page.keyboard.type("Hello! Line one")
        await page.keyboard.press("Shift+Enter")
        await page.keyboard.type("line two")
        await page.keyboard.press("Enter")
        reply = "Hello! Line one\nline two"
        message = await visitor.wait_for(
            lambda f: f["type"] == "message" and f["message"]["body"] == reply
        )
        assert message["message"]["sender"]["kind"] == "agent"
        await expect(composer).to_have_value("")
        own_status = page.locator(".msg-own .msg-status").last
        await expect(own_status).to_have_text("Sent")

        # The visitor reads it: the console shows the receipt.
        await visitor.frame(
            type="read",
            conversation=visitor.conversation_id,
            seq=message["message"]["seq"],
        )
        await expect(own_status).to_have_text("Read")

        # An internal note stays with the counselors.
        await page.click("[data-action=note]")
        await composer.fill("Customer asked about bags; VIP?")
        await page.keyboard.press("Enter")
        await expect(page.locator(".messages .msg-note .msg-text")).to_have_text(
            "Customer asked about bags; VIP?"
        )
        await page.click("[data-action=note]")

        await page.click("[data-action=card]")
        card = page.locator("[data-region=card-form]")
        await card.locator("input[name=title]").fill("Leather tote <script>")
        await card.locator("input[name=price]").fill("₩89,000")
        await card.locator("input[name=url]").fill("https://shop.example.com/tote")
        await card.locator("button[type=submit]").click()
        card_frame = await visitor.wait_for(
            lambda f: f["type"] == "message" and f["message"]["kind"] == "card"
        )
        assert card_frame["message"]["payload"]["title"] == "Leather tote <script>"
        assert (
            card_frame["message"]["payload"]["url"] == "https://shop.example.com/tote"
        )
        await expect(page.locator(".messages .card-title")).to_have_text(
            "Leather tote <script>"
        )
        assert [m["kind"] for m in visitor.agent_messages()] == ["text", "card"]
        await page.screenshot(path=SHOTS / "console-chat.png")

        await page.click("[data-action=close]")
        await page.click("[data-action=close]")  # the second click confirms
        closed = await visitor.wait_for(
            lambda f: f["type"] == "conversation"
            and f["conversation"]["status"] == "closed"
        )
        assert closed["reason"] == "closed"
        await expect(page.locator("[data-region=closed-note]")).to_be_visible()
        await expect(page.locator("[data-action=dismiss]")).to_be_visible()
        await page.screenshot(path=SHOTS / "console-closed.png")
        await visitor.close()

        await page.get_by_role("button", name="Log out").click()
        await expect(page).to_have_url(re.compile(r"/console/login/$"))


@own_loop
async def test_returning_visitor_is_highlighted_and_badges_the_title(live):
    async with console(live) as page:
        first = await Visitor(live).connect()
        await first.send("I am the first chat")
        second = await Visitor(live).connect()
        await second.send("I will come back")
        items = page.locator(".chat-item")
        await expect(items).to_have_count(2)
        # The first chat is open; the second one collects an unread count.
        await expect(page.locator(".chat-item.is-selected")).to_contain_text(
            "I am the first chat"
        )
        returning = page.locator(".chat-item", has_text="I will come back")
        await expect(returning.locator(".unread")).to_have_text("1")

        await second.close()
        await expect(returning.locator(".item-status")).to_have_text("Visitor away")
        await second.connect()
        await second.send("I'm back <b>now</b>")
        returning = page.locator(".chat-item.is-returned")
        await expect(returning).to_have_count(1)
        await expect(returning).to_contain_text("I'm back <b>now</b>")
        await expect(returning.locator(".item-status")).to_have_text("Visitor is back")
        await page.wait_for_function(
            "document.title.includes('Visitor is back')", timeout=3000
        )
        await page.screenshot(path=SHOTS / "console-returned.png")

        await returning.click()
        await expect(page.locator(".chat-item.is-returned")).to_have_count(0)
        await expect(page.locator("[data-region=conv-status]")).to_have_text("Active")
        await page.wait_for_function(
            "!document.title.includes('Visitor is back')", timeout=3000
        )
        # Opening the chat marks it read, and the visitor hears of it.
        await second.wait_for(lambda f: f["type"] == "read" and f["reader"] == "agent")
        await first.close()
        await second.close()


@own_loop
async def test_transfer_hands_the_chat_to_an_online_colleague(live):
    async with console(live, username="manager") as manager, console(live) as page:
        # The manager is away while the visitor arrives, so routing picks the counselor.
        await manager.select_option("[data-action=status]", "away")
        await expect(manager.locator("[data-region=status-wrap]")).to_have_attribute(
            "data-status", "away"
        )
        visitor = await Visitor(live).connect()
        await visitor.send("Can someone senior help?")
        await expect(page.locator(".chat-item")).to_have_count(1)
        await manager.select_option("[data-action=status]", "online")
        await expect(manager.locator("[data-region=status-wrap]")).to_have_attribute(
            "data-status", "online"
        )

        await page.click("[data-action=transfer]")
        dialog = page.locator("[data-region=transfer-dialog]")
        await expect(dialog).to_be_visible()
        target = dialog.locator(".target", has_text="Minseo Park")
        await expect(target).to_be_enabled()
        await expect(dialog.locator(".target", has_text="Sales")).to_be_visible()
        await page.screenshot(path=SHOTS / "console-transfer.png")
        await target.click()

        moved = await visitor.wait_for(
            lambda f: f["type"] == "conversation"
            and (f["conversation"]["agent"] or {}).get("name") == "Minseo Park"
        )
        assert moved["conversation"]["status"] == "active"
        await expect(page.locator(".chat-item")).to_have_count(0)
        await expect(page.locator(".toast")).to_contain_text("now with Minseo Park")
        # The colleague gets the chat with its history.
        await expect(manager.locator(".messages .msg-visitor .msg-text")).to_have_text(
            ["Can someone senior help?"]
        )
        await manager.locator("[data-region=composer-input]").fill(
            "Hello, I am the manager."
        )
        await manager.keyboard.press("Enter")
        reply = await visitor.wait_for(
            lambda f: f["type"] == "message"
            and f["message"]["sender"]["kind"] == "agent"
        )
        assert reply["message"]["body"] == "Hello, I am the manager."
        assert reply["message"]["sender"]["name"] == "Minseo Park"
        await visitor.close()


@own_loop
async def test_refused_send_is_marked_failed_and_shown_as_a_toast(live):
    async with console(live) as page:
        visitor = await Visitor(live).connect()
        await visitor.send("Send me the catalogue")
        await expect(chat_item(page, "Visitor")).to_have_count(1)
        await page.click("[data-action=card]")
        card = page.locator("[data-region=card-form]")
        await card.locator("input[name=title]").fill("Catalogue")
        # The browser accepts any scheme in a URL field; the server takes http(s) only.
        await card.locator("input[name=image]").fill("ftp://files.example.com/c.png")
        await card.locator("button[type=submit]").click()
        failed = page.locator(".msg.is-failed")
        await expect(failed).to_have_count(1)
        await expect(failed.locator(".msg-status")).to_contain_text("http(s) URL")
        await expect(page.locator(".toast-error")).to_contain_text("http(s) URL")
        await page.screenshot(path=SHOTS / "console-failed-send.png")
        await failed.get_by_role("button", name="Discard").click()
        await expect(page.locator(".msg.is-failed")).to_have_count(0)
        assert visitor.agent_messages() == []
        await visitor.close()


@own_loop
async def test_signed_out_console_goes_to_the_login_page(live):
    async with console(live) as page:
        # Log out in another tab of the same browser: the session is gone.
        other = await page.context.new_page()
        await other.goto(f"{live.base}/console/")
        await other.get_by_role("button", name="Log out").click()
        await expect(other).to_have_url(re.compile(r"/console/login/$"))
        # A live socket keeps its login; the next connection is refused (HTTP 403,
        # which the browser reports as 1006), so the console asks the page itself.
        await page.evaluate("window.consoleApp.socket.reconnect()")
        await expect(page).to_have_url(re.compile(r"/login/\?next=%2Fconsole%2F$"))
        await expect(page.locator("input[name=username]")).to_be_visible()
