"""The visitor widget in chromium, on the demo shop, against a real daphne server.

A counselor, where one is needed, is a plain WebSocket client on /ws/agent/ (the
console has its own browser test), so these tests exercise only the widget.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import uuid

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    DESKTOP,
    PHONE,
    conversation_id,
    counselor_socket,
    part,
    send_message,
)
from tests.support.servers import demo_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def widget_server(tmp_path_factory):
    # Its own server: a counselor left online by another module would take these
    # chats out of the queue that the tests look at.
    with demo_server(
        tmp_path_factory.mktemp("widget"), extra_env={"CHAT_HEARTBEAT_SECONDS": "1"}
    ) as server:
        # These tests look at the chat itself with nobody online and a queue: keep
        # the site open for them (test_widget_leads.py covers the offline form).
        with sqlite3.connect(server.db_path) as db:
            db.execute(
                "update leads_leadsettings"
                " set offline_when_no_counselor = 0, max_expected_wait_seconds = 0"
            )
        yield server


@pytest.fixture
def open_page(browser):
    contexts = []

    def make(url, **options):
        context = browser.new_context(**options)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(error))
        page.goto(url)
        return page

    yield make
    for context in contexts:
        context.close()


def test_message_is_acknowledged_queued_and_shown_again_after_reload(
    widget_server, open_page, screenshot
):
    page = open_page(f"{widget_server.url}/demo/", viewport=DESKTOP)
    launcher = part(page, ".launcher")
    expect(launcher).to_be_visible()
    expect(launcher).to_have_attribute("aria-label", "Chat with us")
    screenshot(page, "widget-desktop-closed")

    launcher.click()
    expect(part(page, ".win")).to_be_visible()
    expect(part(page, ".greeting")).to_have_text("Hello! How can we help you today?")
    text = "Is the leather tote available in brown?\nOr only in black?"
    send_message(page, text)

    mine = part(page, ".msg.from-visitor")
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("data-state", "sent")
    expect(mine.locator(".meta")).not_to_contain_text("Sending")
    assert mine.locator(".bubble").text_content() == text  # newline kept
    queue = part(page, ".queue")
    expect(queue).to_have_text(
        re.compile(r"Waiting for a counselor · You are number \d+ in line")
    )
    expect(part(page, ".sub")).to_have_text("Waiting for a counselor")
    expect(part(page, "textarea")).to_have_value("")
    screenshot(page, "widget-desktop-queued")

    # Next page view: the window stays open and the history is back.
    page.reload()
    expect(part(page, ".win")).to_be_visible()
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("data-state", "sent")
    expect(queue).to_be_visible()

    # Without the widget's local copy the history must come from the server.
    page.evaluate(
        "key => localStorage.removeItem(`livechat:${key}:conversation`)",
        widget_server.site_key,
    )
    page.reload()
    expect(mine).to_have_count(1)
    expect(mine).to_have_attribute("data-state", "sent")
    assert mine.locator(".bubble").text_content() == text
    expect(queue).to_be_visible()
    assert page.errors == []


def test_phone_layout_is_full_screen_and_korean(widget_server, open_page, screenshot):
    page = open_page(
        f"{widget_server.url}/demo/?lang=ko",
        viewport=PHONE,
        is_mobile=True,
        has_touch=True,
    )
    launcher = part(page, ".launcher")
    expect(launcher).to_have_attribute("aria-label", "채팅 상담하기")
    screenshot(page, "widget-phone-closed")

    launcher.tap()
    window = part(page, ".win")
    expect(window).to_be_visible()
    expect(launcher).to_be_hidden()
    window.evaluate("el => Promise.all(el.getAnimations().map(a => a.finished))")
    box = window.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
    composer = part(page, "textarea")
    expect(composer).to_have_attribute("placeholder", "메시지를 입력하세요…")

    send_message(page, "안녕하세요, 토트백 브라운 색상 재고 있나요?")
    expect(part(page, ".msg.from-visitor")).to_have_attribute("data-state", "sent")
    expect(part(page, ".queue")).to_contain_text("현재 대기 순서는")
    screenshot(page, "widget-phone-open")

    part(page, ".min").tap()
    expect(window).to_be_hidden()
    expect(launcher).to_be_visible()
    assert page.errors == []


def test_counselor_side_typing_cards_forms_read_and_unread(
    widget_server, open_page, screenshot
):
    page = open_page(f"{widget_server.url}/demo/", viewport=DESKTOP)
    part(page, ".launcher").click()
    hostile = 'Hi <img src=x onerror="window.pwned=1">'
    send_message(page, hostile)
    mine = part(page, ".msg.from-visitor")
    expect(mine).to_have_attribute("data-state", "sent")
    conv = conversation_id(page, widget_server.site_key)

    with counselor_socket(widget_server.url) as counselor:
        counselor.send(type="accept", conversation=conv)
        expect(part(page, ".name")).to_have_text("Jiwoo Kim")
        expect(part(page, ".queue")).to_be_hidden()
        expect(part(page, ".msg.from-event")).to_have_text("Jiwoo Kim joined the chat")

        counselor.send(type="typing", conversation=conv, typing=True)
        expect(part(page, ".typing")).to_have_text("Jiwoo Kim is typing…")
        counselor.say(conv, "Yes, in brown and black.\nWhich one?")
        expect(part(page, ".typing")).to_be_hidden()
        counselor.say(
            conv,
            kind="card",
            payload={
                "title": "Leather tote",
                "text": "Full-grain leather",
                "price": "₩129,000",
                "url": "https://shop.example.com/tote",
                "button": "View product",
            },
        )
        form = {
            "title": "Leave your number",
            "fields": [
                {"name": "name", "label": "Name", "required": True},
                {"name": "phone", "label": "Phone", "type": "tel"},
            ],
        }
        last = counselor.say(conv, kind="form", payload=form)

        theirs = part(page, ".msg.from-agent")
        expect(theirs).to_have_count(3)
        assert theirs.nth(0).locator(".bubble").text_content() == (
            "Yes, in brown and black.\nWhich one?"
        )
        link = theirs.nth(1).locator("a.card-btn")
        expect(link).to_have_text("View product")
        expect(link).to_have_attribute("href", "https://shop.example.com/tote")
        expect(link).to_have_attribute("target", "_blank")
        expect(link).to_have_attribute("rel", "noopener noreferrer")
        expect(theirs.nth(1).locator(".card-price")).to_have_text("₩129,000")
        expect(theirs.nth(2).locator("li")).to_have_text(["Name *", "Phone"])
        # The visitor's text stayed text.
        assert mine.locator(".bubble").text_content() == hostile
        assert mine.locator("img").count() == 0
        assert page.evaluate("() => window.pwned") is None

        # The open window reads what arrives; the counselor reading shows "Read".
        counselor.receive("read", lambda f: f["seq"] >= last["seq"])
        counselor.send(type="read", conversation=conv, seq=last["seq"])
        expect(mine.locator(".meta")).to_contain_text("Read")
        screenshot(page, "widget-desktop-counselor")

        # Messages that arrive while the window is closed are counted.
        part(page, ".min").click()
        counselor.say(conv, "Are you still there?")
        last = counselor.say(conv, "I can hold one for you.")
        badge = part(page, ".badge")
        expect(badge).to_have_text("2")
        screenshot(page, "widget-desktop-unread")
        part(page, ".launcher").click()
        expect(badge).to_be_hidden()
        counselor.receive("read", lambda f: f["seq"] >= last["seq"])

        # Away from the shop: what the counselor writes meanwhile is there on
        # return, after the messages the widget kept locally.
        page.goto("about:blank")
        counselor.say(conv, "Here it is in brown.")
        page.goto(f"{widget_server.url}/demo/?category=bags")
        expect(theirs).to_have_count(6)
        expect(theirs.last.locator(".bubble")).to_have_text("Here it is in brown.")

        counselor.send(type="close", conversation=conv)
        expect(part(page, ".ended")).to_contain_text("This chat has ended.")
        expect(part(page, ".composer")).to_be_hidden()
        part(page, ".new-chat").click()
        expect(part(page, ".queue")).to_be_visible()
        expect(part(page, ".msg")).to_have_count(0)
        conversation_id(page, widget_server.site_key, newer_than=conv)
    assert page.errors == []


def test_send_during_outage_is_delivered_once_after_reconnect(
    widget_server, open_page, screenshot
):
    page = open_page(f"{widget_server.url}/demo/", viewport=DESKTOP)
    part(page, ".launcher").click()
    send_message(page, "before the outage")
    mine = part(page, ".msg.from-visitor")
    expect(mine).to_have_attribute("data-state", "sent")

    text = f"written while the server hung {uuid.uuid4().hex[:8]}"
    os.kill(widget_server.pid, signal.SIGSTOP)
    try:
        send_message(page, text)
        expect(mine.last).to_have_attribute("data-state", "sending")
        # No pong for two heartbeats (1 s here): the widget gives the socket up.
        expect(part(page, ".conn")).to_be_visible(timeout=15_000)
        expect(part(page, ".conn")).to_have_text("Connection lost. Reconnecting…")
        screenshot(page, "widget-desktop-reconnecting")
    finally:
        os.kill(widget_server.pid, signal.SIGCONT)

    expect(part(page, ".conn")).to_be_hidden(timeout=30_000)
    expect(mine.last).to_have_attribute("data-state", "sent", timeout=10_000)
    expect(mine.filter(has_text=text)).to_have_count(1)
    with sqlite3.connect(widget_server.db_path) as db:
        stored = db.execute(
            "select count(*) from chat_message where body = ?", (text,)
        ).fetchone()[0]
    assert stored == 1  # the frame sent into the hung socket and its resend: one row
    outbox = page.evaluate(
        "key => localStorage.getItem(`livechat:${key}:outbox`)", widget_server.site_key
    )
    assert outbox is None
    assert page.errors == []


def test_burst_over_the_rate_limit_arrives_once_and_in_order(widget_server, open_page):
    page = open_page(f"{widget_server.url}/demo/", viewport=DESKTOP)
    part(page, ".launcher").click()
    tag = uuid.uuid4().hex[:6]
    texts = [f"burst {tag} {i:02d}" for i in range(16)]  # the budget is 10, then 3/s
    composer = part(page, "textarea")
    for text in texts:
        composer.fill(text)
        composer.press("Enter")
    expect(part(page, ".notice")).to_have_text(
        "You are sending too fast. Please wait a moment."
    )
    mine = part(page, ".msg.from-visitor")
    sent = part(page, ".msg.from-visitor[data-state='sent']")
    expect(sent).to_have_count(16, timeout=20_000)
    assert mine.locator(".bubble").all_text_contents() == texts
    with sqlite3.connect(widget_server.db_path) as db:
        stored = db.execute(
            "select body from chat_message where body like ? order by seq",
            (f"burst {tag} %",),
        ).fetchall()
    assert [row[0] for row in stored] == texts
    assert page.errors == []
