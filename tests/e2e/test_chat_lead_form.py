"""Lead capture end to end in chromium: a counselor's in-chat lead form filled in on
the shop, refused and then taken, seen in the console and in the managers' list; and
the out-of-hours callback form reaching the same list.

The shop runs on localhost and the console on 127.0.0.1 (two origins of one daphne
server), as a customer's site and the console do in production.
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import contextmanager
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    CLOSED_TODAY,
    DESKTOP,
    PHONE,
    conversation_id,
    counselor_online,
    counselor_socket,
    log_in,
    orm,
    part,
    rows,
    submit_lead,
)
from tests.support.servers import demo_server

pytestmark = pytest.mark.e2e

REF = r"L-[0-9A-F]{8}"
SEOUL = ZoneInfo("Asia/Seoul")  # the demo site's zone


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """This module's own server: its counselor goes online, which would take other
    modules' queued chats."""
    with demo_server(
        tmp_path_factory.mktemp("chat-lead-form"),
        extra_env={"CHAT_HEARTBEAT_SECONDS": "2"},
    ) as running:
        yield running


def shop_url(server, lang: str) -> str:
    return f"{server.alt_url}/demo/?lang={lang}&server={server.url}"


def close_open_chats(server):
    orm(
        server,
        "from chat.models import Conversation as C; "
        "C.objects.exclude(status='closed').update(status='closed')",
    )


def submitted_frames(page) -> list[dict]:
    """Every `form_submit` the page sends on its sockets, in order."""
    frames: list[dict] = []

    def watch(ws):
        def sent(payload):
            if isinstance(payload, str) and '"form_submit"' in payload:
                frames.append(json.loads(payload))

        ws.on("framesent", sent)

    page.on("websocket", watch)
    return frames


def chat_and_send_form(console, shop, text: str):
    """The visitor writes; the counselor opens the chat and sends the lead form."""
    part(shop, ".launcher").click()
    part(shop, "textarea").fill(text)
    part(shop, ".send").click()
    expect(part(shop, ".msg.from-visitor")).to_have_attribute("data-state", "sent")
    chat = console.locator(".chat-item", has_text=text)
    expect(chat).to_be_visible(timeout=10_000)
    chat.click()
    expect(console.locator("[data-region=messages]")).to_contain_text(text)
    console.click("[data-action=lead-form]")
    card = part(shop, ".cf")
    expect(card).to_be_visible(timeout=10_000)
    return card


def settle(page):
    """Wait for the window's opening animation (for screenshots)."""
    window = part(page, ".win")
    expect(window).to_be_visible()
    window.evaluate("el => Promise.all(el.getAnimations().map(a => a.finished))")


def field(card, name: str):
    return card.locator(f"[name={name}]")


def test_in_chat_lead_form_refused_then_taken_and_seen_by_counselor_and_manager(
    server, contexts, screenshot
):
    close_open_chats(server)
    # The counselor's browser is in New York; the site is in Seoul: staff see the
    # site's time, labelled.
    console = contexts(
        viewport={"width": 1366, "height": 800}, timezone_id="America/New_York"
    )
    counselor_online(console, server)

    shop = contexts(viewport=DESKTOP, timezone_id="Asia/Seoul")
    sent = submitted_frames(shop)
    shop.goto(shop_url(server, "ko"))
    assert shop.evaluate("location.origin") != console.evaluate("location.origin")
    card = chat_and_send_form(console, shop, "대출 상담 받고 싶어요")

    # The form in Korean: the server's labels, the widget's own strings.
    expect(card.locator(".cf-title")).to_have_text("연락처를 남겨 주세요")
    expect(card.locator(".cf-hint")).to_have_text("* 표시는 필수 항목입니다.")
    expect(card.locator(".lbl")).to_have_text(
        ["이름 *", "전화번호 *", "이메일", "문의 내용"]
    )
    name, phone, email = field(card, "name"), field(card, "phone"), field(card, "email")
    expect(name).to_have_attribute("autocomplete", "name")
    expect(name).to_have_attribute("aria-required", "true")
    for control, kind in ((phone, "tel"), (email, "email")):
        expect(control).to_have_attribute("type", kind)
        expect(control).to_have_attribute("inputmode", kind)
        expect(control).to_have_attribute("autocomplete", kind)
    expect(field(card, "message")).to_have_js_property("tagName", "TEXTAREA")
    consent, marketing = field(card, "consent"), field(card, "marketing")
    expect(consent).not_to_be_checked()
    expect(marketing).not_to_be_checked()
    expect(card.locator("label.check").first).to_have_text(
        "개인정보 수집·이용 동의(필수)"
    )
    expect(card.locator("label.check").nth(1)).to_contain_text(
        "마케팅 정보 수신 동의(선택)"
    )
    notice = card.locator(".cf-notice")
    expect(notice.locator("summary")).to_contain_text("개인정보 수집·이용 동의")
    expect(notice.locator(".privacy-list")).to_be_hidden()  # folded
    notice.locator("summary").click()
    expect(notice.locator(".privacy-list dt")).to_have_text(
        ["수집·이용 목적", "수집 항목", "보유·이용 기간"]
    )
    submit = card.locator(".cf-submit")
    expect(submit).to_have_text("제출하기")
    shop.wait_for_timeout(200)  # the chevron's turn
    screenshot(shop, "chat-lead-form-ko")
    notice.locator("summary").click()

    # A short number and no consent: the server's messages under the fields.
    name.fill("김민수")
    phone.fill("010-12")
    submit.click()
    phone_error = card.locator(".err", has_text="올바른 전화번호")
    expect(phone_error).to_have_text(
        "올바른 전화번호를 입력해 주세요. 예: 010-1234-5678"
    )
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_attribute("aria-describedby", phone_error.get_attribute("id"))
    expect(phone).to_be_focused()
    consent_error = card.locator(".err", has_text="동의해 주세요")
    expect(consent_error).to_have_text("개인정보 수집·이용에 동의해 주세요.")
    expect(consent).to_have_attribute("aria-invalid", "true")
    described = consent.get_attribute("aria-describedby").split()
    assert consent_error.get_attribute("id") in described
    expect(card.locator(".cf-error")).to_have_text("표시된 항목을 확인해 주세요.")
    expect(name).not_to_have_attribute("aria-invalid", "true")
    expect(name).to_have_value("김민수")  # what was typed stays
    expect(submit).to_be_enabled()
    screenshot(shop, "chat-lead-form-errors-ko")
    assert rows(server, "select count(*) from leads_lead") == [(0,)]

    # Corrected: one lead, and the form turns into what was sent.
    phone.fill("010-1234-5678")
    expect(phone).not_to_have_attribute("aria-invalid", "true")  # cleared on input
    field(card, "message").fill("주택담보대출 금리 문의")
    card.locator("label.check").first.click()
    expect(consent_error).to_be_hidden()
    submit.click()
    status = card.locator(".cf-status")
    expect(status).to_have_text(re.compile(rf"^전송 완료 ✓ — 접수번호 {REF}$"))
    expect(status).to_be_focused()
    reference = re.search(REF, status.text_content()).group(0)
    expect(card.locator(".cf-form")).to_be_hidden()
    expect(card.locator(".cf-list dt")).to_have_text(["이름", "전화번호", "문의 내용"])
    expect(card.locator(".cf-list dd")).to_have_text(
        ["김민수", "010-1234-5678", "주택담보대출 금리 문의"]
    )
    # Once: the card is the answer, the reply message is not drawn again below it.
    expect(part(shop, ".msg[data-seq]").last.locator(".cf")).to_have_count(1)
    expect(part(shop, ".bubble.reply")).to_have_count(0)
    expect(part(shop, "dd").filter(has_text="주택담보대출 금리 문의")).to_have_count(1)
    screenshot(shop, "chat-lead-form-sent-ko")

    # Both submissions were one fill: one client id, the notice's version, the visit.
    assert len(sent) == 2
    assert sent[0]["client_id"] == sent[1]["client_id"]
    first, second = sent
    assert first["consent"]["collection"] is False
    assert second["consent"] == {
        "collection": True,
        "marketing": False,
        "notice_version": "2026-11-01",
    }
    assert second["values"]["phone"] == "010-1234-5678"
    assert second["inflow"]["landing"].startswith(f"{server.alt_url}/demo/")
    assert "form_seq" in second and "conversation" in second

    found = rows(
        server,
        "select name, phone, source, marketing_consent, conversation_id, message"
        " from leads_lead where reference = ?",
        reference,
    )
    assert found == [
        (
            "김민수",
            "+821012345678",
            "in_chat_form",
            0,
            second["conversation"],
            "주택담보대출 금리 문의",
        )
    ]
    assert rows(server, "select count(*) from leads_lead") == [(1,)]

    # The counselor sees the answers, linked to the lead.
    answer = console.locator(".messages .form-reply")
    expect(answer).to_contain_text("김민수")
    expect(answer).to_contain_text("010-1234-5678")
    link = answer.locator("a", has_text=f"Lead {reference}")
    expect(link).to_have_attribute("href", f"/console/leads/?q={reference}")
    # Times in the console: Seoul's, labelled, whatever the browser's zone.
    stamp = console.locator(".msg-time").last
    sent_at = datetime.fromisoformat(stamp.get_attribute("datetime"))
    expect(stamp).to_have_text(f"{sent_at.astimezone(SEOUL):%H:%M} GMT+9")
    started = console.get_by_text(
        re.compile(r"^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d\d:\d\d GMT\+9$")
    )
    expect(started.first).to_be_visible()  # "Started" in the visitor's details

    # The name given in the form is the visitor's name in the console.
    expect(console.locator(".chat-item", has_text="김민수")).to_be_visible()
    expect(console.locator(".visitor-name")).to_have_text("김민수")
    screenshot(console, "chat-lead-form-console-reply")

    # The manager finds it at the top of the list, from the chat.
    manager = contexts(viewport={"width": 1280, "height": 860})
    log_in(manager, server, "manager", "/console/leads/")
    top = manager.locator("[data-region=rows] tr").first
    expect(top.locator("a.ref")).to_have_text(reference)
    expect(top.locator(".lead-name")).to_have_text("김민수")
    expect(top.locator(".source-cell")).to_have_text("In-chat form")
    due = top.locator(".due time")
    due_at = datetime.fromisoformat(due.get_attribute("datetime")).astimezone(SEOUL)
    expect(due).to_have_text(f"{due_at:%b %-d}, {due_at:%H:%M} GMT+9")
    top.locator("a.ref").click()
    drawer = manager.locator("[data-region=drawer]")
    expect(drawer.locator("h2")).to_have_text("김민수")
    expect(drawer).to_contain_text(f"Conversation #{second['conversation']}")
    screenshot(manager, "chat-lead-form-manager-list")

    # Another page view, then one without the widget's local copy: still sent.
    shop.reload()
    card = part(shop, ".cf")
    expect(card.locator(".cf-status")).to_have_text(
        f"전송 완료 ✓ — 접수번호 {reference}"
    )
    expect(card.locator(".cf-form")).to_be_hidden()
    shop.evaluate(
        "key => localStorage.removeItem(`livechat:${key}:conversation`)",
        server.site_key,
    )
    shop.reload()
    expect(card.locator(".cf-status")).to_have_text(
        f"전송 완료 ✓ — 접수번호 {reference}"
    )
    expect(card.locator("input")).to_have_count(0)
    assert len(sent) == 2  # nothing sent again
    assert shop.errors == [] and console.errors == [] and manager.errors == []


@contextmanager
def losing_one_ack(page):
    """Route the visitor socket: the first `form_submit` reaches the server, but
    nothing comes back after it (neither the ack nor the reply message); once the
    server has answered, the widget's socket is dropped and it reconnects."""
    state = {"swallow": False, "lost": False}

    def route(ws):
        server = ws.connect_to_server()

        def to_server(message):
            if '"form_submit"' in str(message) and not state["lost"]:
                state["swallow"] = True
            server.send(message)

        def to_page(message):
            if state["swallow"] and not state["lost"]:
                frame = json.loads(message)
                if frame.get("type") == "ack" and frame.get("lead"):
                    state["lost"] = True
                    ws.close()
                    server.close()
                return
            ws.send(message)

        ws.on_message(to_server)
        server.on_message(to_page)

    page.route_web_socket(re.compile(r"/ws/visitor/"), route)
    yield state


def test_english_form_on_a_phone_is_resent_after_a_lost_ack_once(
    server, contexts, screenshot
):
    close_open_chats(server)
    console = contexts(viewport={"width": 1366, "height": 800})
    counselor_online(console, server)

    shop = contexts(viewport=PHONE, is_mobile=True, has_touch=True)
    sent = submitted_frames(shop)
    with losing_one_ack(shop) as lost:
        shop.goto(shop_url(server, "en"))
        card = chat_and_send_form(console, shop, "Can you call me about a loan?")
        settle(shop)
        assert part(shop, ".win").bounding_box()["width"] == 390
        expect(card.locator(".cf-title")).to_have_text("Leave your details")
        expect(card.locator(".lbl")).to_have_text(
            ["Name *", "Phone *", "E-mail", "What can we help with?"]
        )
        expect(card.locator(".cf-notice-more")).to_have_text("Details")
        expect(card.locator(".cf-submit")).to_have_text("Submit")
        expect(card.locator("label.check").first).to_have_text(
            "I agree to the collection and use of my personal information (required)"
        )
        # Nothing wider than the phone's screen.
        assert part(shop, ".log").evaluate("el => el.scrollWidth <= el.clientWidth")
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390
        assert field(card, "phone").evaluate("el => getComputedStyle(el).fontSize") == (
            "16px"  # below 16px iOS zooms into the page
        )
        screenshot(shop, "chat-lead-form-phone-en")

        field(card, "name").fill("Alex Kim")
        field(card, "phone").fill("+82 10 5555 1212")
        field(card, "email").fill("Alex@Example.com")
        card.locator("label.check").first.click()
        card.locator("label.check").nth(1).click()  # marketing, this time
        expect(field(card, "marketing")).to_be_checked()
        shop.wait_for_timeout(200)  # the box's transition
        screenshot(shop, "chat-lead-form-phone-en-filled")
        card.locator(".cf-submit").click()

        status = card.locator(".cf-status")
        expect(status).to_have_text(re.compile(rf"^Sent ✓ — reference {REF}$"))
        assert lost["lost"]
        reference = status.text_content().split()[-1]
        expect(card.locator(".cf-list dt")).to_have_text(["Name", "Phone", "E-mail"])
        screenshot(shop, "chat-lead-form-phone-en-sent")

    # The lost answer was asked again with the same client id: one lead, one reply.
    assert len(sent) == 2 and sent[0] == sent[1]
    assert sent[0]["consent"]["marketing"] is True
    assert rows(
        server,
        "select name, phone, email, marketing_consent from leads_lead"
        " where reference = ?",
        reference,
    ) == [("Alex Kim", "+821055551212", "alex@example.com", 1)]
    assert rows(
        server,
        "select count(*) from chat_message where kind = 'form_reply'"
        " and conversation_id = ?",
        sent[0]["conversation"],
    ) == [(1,)]
    expect(card.locator(".cf-list")).to_have_count(1)
    expect(part(shop, ".bubble.reply")).to_have_count(0)  # shown once: in the card

    # The retention purge blanks the reply ({"erased": true}): the form stays sent.
    with sqlite3.connect(server.db_path) as db:
        db.execute(
            "update chat_message set body = '', payload = '{\"erased\": true}'"
            " where kind = 'form_reply' and conversation_id = ?",
            (sent[0]["conversation"],),
        )
    shop.evaluate(
        "key => localStorage.removeItem(`livechat:${key}:conversation`)",
        server.site_key,
    )
    shop.reload()
    settle(shop)
    card = part(shop, ".cf")
    expect(card.locator(".cf-status")).to_have_text("Sent ✓")
    expect(card.locator(".cf-removed")).to_have_text("(removed)")
    expect(card.locator("input")).to_have_count(0)
    expect(part(shop, ".bubble.erased")).to_have_count(0)  # the card says it
    screenshot(shop, "chat-lead-form-phone-en-erased")
    assert shop.errors == [] and console.errors == []


def test_callback_request_out_of_hours_reaches_the_managers_list(
    tmp_path_factory, contexts, screenshot
):
    with demo_server(tmp_path_factory.mktemp("closed")) as closed:
        orm(closed, CLOSED_TODAY)  # a closure covering today, before any page loads
        older = submit_lead(closed, "Older Lead", "010-3333-4444")
        shop = contexts(viewport=DESKTOP, timezone_id="Asia/Seoul")
        shop.goto(f"{closed.alt_url}/demo/?server={closed.url}")
        part(shop, ".launcher").click()
        expect(part(shop, ".away-title")).to_have_text("We are temporarily closed")
        expect(part(shop, ".lead-submit")).to_be_enabled()  # the notice is loaded
        part(shop, "#lc-name").fill("Sora Han")
        part(shop, "#lc-phone").fill("010 7777 8888")
        part(shop, "label[for=lc-consent]").click()
        part(shop, ".lead-submit").click()
        done = part(shop, ".done-ref")
        expect(done).to_have_text(re.compile(rf"^Reference {REF}$"))
        reference = done.text_content().split()[-1]

        manager = contexts(viewport={"width": 1280, "height": 860})
        log_in(manager, closed, "manager", "/console/leads/")
        top = manager.locator("[data-region=rows] tr").first
        expect(top.locator("a.ref")).to_have_text(reference)
        expect(top.locator(".lead-name")).to_have_text("Sora Han")
        expect(top.locator(".col-phone")).to_have_text("010-7777-8888")
        expect(top.locator(".source-cell")).to_have_text("Out-of-hours form")
        expect(manager.locator("[data-region=rows] a.ref")).to_have_text(
            [reference, older]
        )
        screenshot(manager, "chat-lead-form-offline-manager-list")
        assert shop.errors == [] and manager.errors == []


def test_plain_forms_stay_read_only_and_a_closed_chats_form_cannot_be_sent(
    server, contexts, screenshot
):
    close_open_chats(server)
    with counselor_socket(server.url) as counselor:
        counselor.send(type="status", status="online")
        counselor.receive("status")
        shop = contexts(viewport=DESKTOP)
        shop.goto(shop_url(server, "en"))
        part(shop, ".launcher").click()
        part(shop, "textarea").fill("Which size should I take?")
        part(shop, ".send").click()
        conversation = conversation_id(shop, server.site_key)
        counselor.say(
            conversation,
            kind="form",
            payload={
                "title": "Your measurements",
                "fields": [
                    {"name": "size", "label": "Size", "type": "text", "required": True}
                ],
            },
        )
        counselor.say(conversation, kind="lead_form")

        plain = part(shop, ".bubble.form")
        expect(plain.locator(".form-title")).to_have_text("Your measurements")
        expect(plain.locator("li")).to_have_text(["Size *"])
        expect(plain.locator("input")).to_have_count(0)
        card = part(shop, ".cf")
        expect(card.locator(".cf-submit")).to_be_visible()
        field(card, "name").fill("Kept Draft")

        counselor.send(type="close", conversation=conversation)
        expect(part(shop, ".ended")).to_be_visible()
        expect(card.locator(".cf-ended")).to_have_text("This chat has ended.")
        expect(card.locator(".cf-submit")).to_be_hidden()
        expect(field(card, "name")).to_be_hidden()
        expect(field(card, "name")).to_be_disabled()
        draft = shop.evaluate(
            "key => sessionStorage.getItem(`livechat:${key}:chatForms`)",
            server.site_key,
        )
        assert draft is None  # what was typed is not kept for a closed chat
        screenshot(shop, "chat-lead-form-closed-chat-en")
    assert rows(
        server, "select count(*) from leads_lead where name = 'Kept Draft'"
    ) == [(0,)]
    assert shop.errors == []
