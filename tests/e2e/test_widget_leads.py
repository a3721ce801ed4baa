"""The widget out of hours: the offline notice, the callback-request form, its errors,
its receipt and the switch back to chat, in chromium against a real daphne server.

The demo site gets opening hours around the clock and a closure from yesterday to
tomorrow, so it is closed "for a closure" whatever the time the tests run. The last
test removes the closure (the server keeps a site's schedule for up to 30 s, so the
widget takes that long to hear of it through its pongs).
"""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    CLOSED_TODAY,
    DESKTOP,
    PHONE,
    counselor_socket,
    orm,
    part,
    rows,
)
from tests.support.servers import REPO, demo_server

pytestmark = pytest.mark.e2e

NAVER = "https://search.naver.com/search.naver?where=nexearch&query=%EA%B0%80%EC%A3%BD+%ED%86%A0%ED%8A%B8%EB%B0%B1"


@pytest.fixture(scope="module")
def leads_server(tmp_path_factory):
    env = {
        "CHAT_HEARTBEAT_SECONDS": "1",  # availability rides on every pong
        "CHAT_PRESENCE_GRACE_SECONDS": "600",  # the test counselor does not ping
        "LEADS_FORM_RATE": "100/minute",
    }
    with demo_server(tmp_path_factory.mktemp("leads"), extra_env=env) as server:
        # Before any page: the server has no schedule cached yet.
        orm(server, CLOSED_TODAY)
        yield server


@pytest.fixture
def open_page(browser):
    contexts = []

    def make(url, *, timezone="Asia/Seoul", referer=None, **options):
        context = browser.new_context(timezone_id=timezone, **options)
        contexts.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(error))
        page.goto(url, referer=referer)
        return page

    yield make
    for context in contexts:
        context.close()


def shop(server, query: str = "") -> str:
    """The demo shop on localhost with the widget from 127.0.0.1: cross-origin, as on
    a customer's site (a same-origin GET carries no Origin header, and the public
    endpoints refuse a request without one)."""
    query = f"{query}&" if query else ""
    return f"{server.alt_url}/demo/?{query}server={server.url}"


def lead_form(server, lang="en") -> dict:
    """What the widget reads: GET /public/v1/lead-form from the shop's origin."""
    request = urllib.request.Request(
        f"{server.url}/public/v1/lead-form?site={server.site_key}&lang={lang}",
        headers={"Origin": server.alt_url},
    )
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def back_at(opens_at: str, zone: str) -> str:
    """The widget's "We are back ..." line for a visitor in `zone`."""
    local = datetime.fromisoformat(opens_at).astimezone(ZoneInfo(zone))
    days = (local.date() - datetime.now(ZoneInfo(zone)).date()).days
    time = local.strftime("%-I:%M %p")
    if days <= 0:
        return f"We are back today at {time}."
    if days == 1:
        return f"We are back tomorrow at {time}."
    return f"We are back on {local:%A, %b %-d} at {time}."


def field(page, name):
    return part(page, f"#lc-{name}")


def open_form(page):
    part(page, ".launcher").click()
    expect(part(page, ".lead-form")).to_be_visible()
    # The privacy notice (and with it the slots) came from the server.
    expect(part(page, ".privacy-title")).to_be_visible()
    expect(part(page, ".lead-submit")).to_be_enabled()


def fill(page, *, name="Minji Lee", phone="010-1234-5678", consent=True):
    field(page, "name").fill(name)
    field(page, "phone").fill(phone)
    if consent:
        part(page, "label[for=lc-consent]").click()


def is_lead_post(request) -> bool:
    return request.method == "POST" and "/public/v1/leads" in request.url


def leads(server) -> list[tuple]:
    return rows(server, "select id, name, phone, source from leads_lead order by id")


def test_loader_is_one_script_from_fragments_with_a_strong_etag(leads_server):
    with urllib.request.urlopen(f"{leads_server.url}/widget.js") as response:
        body = response.read().decode()
        headers = response.headers
    assert headers["Content-Type"] == "text/javascript"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=300" in headers["Cache-Control"]
    etag = headers["ETag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)  # strong: no W/
    marker = "// Fragment of /widget.js, concatenated in name order by"
    assert body.startswith(marker)
    fragments = list((REPO / "chat/static/chat/widget").glob("*.js"))
    assert body.count(marker) == len(fragments)
    assert body.rstrip().endswith("})();")
    again = urllib.request.Request(
        f"{leads_server.url}/widget.js", headers={"If-None-Match": etag}
    )
    with pytest.raises(urllib.error.HTTPError) as not_modified:
        urllib.request.urlopen(again)
    assert not_modified.value.code == 304
    assert not_modified.value.headers["ETag"] == etag

    # The fallback strings the widget carries are the server catalogue's English.
    with urllib.request.urlopen(f"{leads_server.url}/widget/i18n.json?lang=en") as r:
        catalogue = json.load(r)["strings"]
    start = body.index("const FALLBACK_STRINGS = {")
    block = body[start : body.index("};", start)]
    entry = r'^\s+(\w+):\s*\n?\s*("(?:[^"\\]|\\.)*"),'
    fallback = dict(re.findall(entry, block, re.M))
    assert {k: json.loads(v) for k, v in fallback.items()} == catalogue


def test_offline_notice_and_form_in_english_and_korean(
    leads_server, open_page, screenshot
):
    page = open_page(shop(leads_server), viewport=DESKTOP, timezone="Europe/Berlin")
    open_form(page)
    away = part(page, ".away")
    expect(away.locator(".away-title")).to_have_text("We are temporarily closed")
    availability = lead_form(leads_server)["availability"]
    assert (availability["open"], availability["reason"]) == (False, "closure")
    expect(away.locator(".away-text")).to_have_text(
        back_at(availability["opens_at"], "Europe/Berlin")
    )
    expect(away.locator(".away-cta")).to_have_text(
        "Leave your number and we will call you back."
    )
    expect(part(page, ".composer")).to_be_hidden()
    expect(part(page, ".log")).to_be_hidden()
    expect(part(page, ".sub")).to_have_text("Not available right now")
    expect(field(page, "phone")).to_have_attribute("type", "tel")
    expect(field(page, "phone")).to_have_attribute("inputmode", "tel")
    expect(field(page, "phone")).to_have_attribute("autocomplete", "tel")
    expect(part(page, "label[for=lc-name]")).to_have_text("Name *")
    expect(part(page, "#lc-consent")).not_to_be_checked()
    expect(part(page, "#lc-marketing")).not_to_be_checked()
    expect(part(page, ".privacy-list dt")).to_have_text(
        ["Purpose", "Items collected", "Retention"]
    )
    honeypot = part(page, "input[name=website]")
    expect(honeypot).to_have_attribute("tabindex", "-1")
    expect(honeypot).to_have_attribute("autocomplete", "off")
    assert honeypot.bounding_box()["x"] < 0  # off screen

    # Slots: "As soon as possible" first, then the visitor's local times by day.
    options = field(page, "slot").locator("option")
    expect(options.first).to_have_text("As soon as possible")
    first_slot = options.nth(1)
    start = first_slot.get_attribute("value")
    local = datetime.fromisoformat(start).astimezone(ZoneInfo("Europe/Berlin"))
    expect(first_slot).to_have_text(local.strftime("%-I:%M %p"))
    group = field(page, "slot").locator("optgroup").first
    assert local.strftime("%b %-d") in group.get_attribute("label")
    expect(part(page, "#lc-hint-slot")).to_have_text(
        "Times are in your time zone (Europe/Berlin)."
    )
    screenshot(page, "leads-offline-desktop-en")
    part(page, ".lead").evaluate("el => el.scrollTo(0, el.scrollHeight)")
    screenshot(page, "leads-offline-desktop-en-bottom")
    assert page.errors == []

    page = open_page(shop(leads_server, "lang=ko"), viewport=DESKTOP)
    open_form(page)
    expect(part(page, ".away-title")).to_have_text("임시 휴무 중입니다")
    expect(part(page, ".away-text")).to_contain_text("부터 상담할 수 있습니다.")
    expect(part(page, ".lead-title")).to_have_text("전화 상담 예약")
    expect(part(page, "label[for=lc-consent]")).to_have_text(
        "개인정보 수집·이용 동의(필수)"
    )
    expect(part(page, "label[for=lc-marketing]")).to_contain_text(
        "마케팅 정보 수신 동의(선택)"
    )
    notice = lead_form(leads_server, "ko")["notice"]  # the server's Korean notice
    expect(part(page, ".privacy-title")).to_have_text(notice["title"])
    expect(part(page, ".privacy-list dd")).to_have_text(
        [notice["purpose"], notice["items"], notice["retention"]]
    )
    expect(field(page, "slot").locator("option").first).to_have_text("가능한 한 빨리")
    expect(part(page, "#lc-hint-slot")).to_be_hidden()  # the site's own time zone
    expect(part(page, ".lead-submit")).to_have_text("전화 상담 예약하기")
    screenshot(page, "leads-offline-desktop-ko")
    assert page.errors == []


def test_form_loads_on_the_servers_own_origin(leads_server, open_page):
    page = open_page(f"{leads_server.url}/demo/", viewport=DESKTOP)
    part(page, ".launcher").click()
    expect(part(page, ".lead-form")).to_be_visible()
    expect(part(page, ".privacy-title")).to_be_visible()


def test_phone_width_form_is_full_screen(leads_server, open_page, screenshot):
    for lang in ("ko", "en"):
        page = open_page(
            shop(leads_server, f"lang={lang}"),
            viewport=PHONE,
            is_mobile=True,
            has_touch=True,
        )
        part(page, ".launcher").tap()
        window = part(page, ".win")
        expect(part(page, ".lead-form")).to_be_visible()
        expect(part(page, ".privacy-title")).to_be_visible()
        window.evaluate("el => Promise.all(el.getAnimations().map(a => a.finished))")
        box = window.bounding_box()
        assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, 844)
        # One column, and nothing wider than the screen.
        name = field(page, "name").bounding_box()
        phone = field(page, "phone").bounding_box()
        assert phone["y"] > name["y"] and phone["x"] + phone["width"] <= 390
        assert part(page, ".lead").evaluate("el => el.scrollWidth <= el.clientWidth")
        screenshot(page, f"leads-offline-phone-{lang}")
        part(page, ".lead").evaluate("el => el.scrollTo(0, el.scrollHeight)")
        screenshot(page, f"leads-offline-phone-{lang}-bottom")
        assert page.errors == []


@pytest.mark.parametrize(
    "lang, consent_error, phone_error",
    [
        (
            "en",
            "Please agree to the collection and use of your personal information.",
            "Enter a valid phone number, for example 010-1234-5678.",
        ),
        (
            "ko",
            "개인정보 수집·이용에 동의해 주세요.",
            "올바른 전화번호를 입력해 주세요. 예: 010-1234-5678",
        ),
    ],
)
def test_invalid_request_shows_messages_under_fields_and_stores_nothing(
    leads_server, open_page, screenshot, lang, consent_error, phone_error
):
    page = open_page(shop(leads_server, f"lang={lang}"), viewport=DESKTOP)
    posts = []
    page.on("request", lambda r: posts.append(r) if is_lead_post(r) else None)
    open_form(page)
    before = leads(leads_server)

    # Nothing ticked and a short number: every error at once, by the widget's own
    # check (the server's phone rule, from the lead-form config), no request.
    fill(page, phone="010-12", consent=False)
    field(page, "email").fill("minji")
    part(page, ".lead-submit").click()
    consent, phone = part(page, "#lc-consent"), field(page, "phone")
    expect(part(page, "#lc-err-consent")).to_have_text(consent_error)
    expect(consent).to_have_attribute("aria-invalid", "true")
    expect(consent).to_have_attribute("aria-describedby", re.compile(r"lc-err-consent"))
    expect(part(page, "#lc-err-phone")).to_have_text(phone_error)
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(part(page, "#lc-err-email")).to_be_visible()
    expect(phone).to_be_focused()  # the first field in error
    screenshot(page, f"leads-errors-all-at-once-{lang}")
    assert posts == []

    # Ticked, a valid e-mail and a number of another country that the browser leaves
    # to the server: the server refuses it, in the visitor's language.
    part(page, "label[for=lc-consent]").click()
    expect(part(page, "#lc-err-consent")).to_be_hidden()
    field(page, "email").fill("minji@example.com")
    phone.fill("+1 555 0100")
    part(page, ".lead-submit").click()
    expect(part(page, "#lc-err-phone")).to_have_text(phone_error)
    expect(phone).to_have_attribute("aria-invalid", "true")
    expect(phone).to_have_attribute("aria-describedby", "lc-err-phone")
    expect(phone).to_be_focused()
    expect(part(page, ".form-error")).to_be_visible()
    expect(field(page, "name")).not_to_have_attribute("aria-invalid", "true")
    expect(field(page, "name")).to_have_value("Minji Lee")  # what was typed stays
    assert len(posts) == 1
    screenshot(page, f"leads-errors-desktop-{lang}")
    assert leads(leads_server) == before
    assert page.errors == []


def test_valid_request_is_one_lead_with_consent_and_inflow(
    leads_server, open_page, screenshot
):
    page = open_page(
        shop(leads_server, "utm_source=naver&utm_medium=cpc&utm_campaign=fall"),
        viewport=DESKTOP,
        referer=NAVER,
    )
    open_form(page)
    fill(page, name="김민지", consent=False)
    field(page, "email").fill("Minji@Example.COM")

    # Another page of the shop: what was typed is still there.
    page.goto(shop(leads_server, "category=bags"))
    expect(part(page, ".lead-form")).to_be_visible()  # the window stayed open
    expect(field(page, "name")).to_have_value("김민지")
    expect(field(page, "phone")).to_have_value("010-1234-5678")
    expect(part(page, ".lead-submit")).to_be_enabled()

    slot = field(page, "slot").locator("option").nth(3)
    start = slot.get_attribute("value")
    field(page, "slot").select_option(start)
    field(page, "message").fill("브라운 토트백 재입고 일정이 궁금합니다.")
    part(page, "label[for=lc-consent]").click()
    part(page, "label[for=lc-marketing]").click()
    part(page, ".lead-submit").dblclick()

    done = part(page, ".done")
    expect(done).to_be_visible()
    local = datetime.fromisoformat(start).astimezone(ZoneInfo("Asia/Seoul"))
    expect(done.locator(".done-when")).to_have_text(
        f"We will call you on {local.strftime('%a, %b %-d, %-I:%M %p')}."
    )
    expect(done.locator(".done-ref")).to_have_text(
        re.compile(r"^Reference L-[0-9A-F]{8}$")
    )
    screenshot(page, "leads-done-desktop-en")
    reference = done.locator(".done-ref").text_content().split()[-1]
    draft = page.evaluate(
        "key => sessionStorage.getItem(`livechat:${key}:leadDraft`)",
        leads_server.site_key,
    )
    assert draft is None

    found = rows(
        leads_server,
        "select id, name, phone, email, source, marketing_consent, inflow, callback_at,"
        " message from leads_lead where reference = ?",
        reference,
    )
    assert len(found) == 1
    (lead_id, name, phone, email, source, marketing, inflow, callback_at, message) = (
        found[0]
    )
    assert (name, phone, email, source) == (
        "김민지",
        "+821012345678",
        "minji@example.com",
        "offline_form",
    )
    assert message == "브라운 토트백 재입고 일정이 궁금합니다."
    assert marketing == 1
    stored = datetime.fromisoformat(callback_at)  # SQLite keeps naive UTC
    assert stored.replace(tzinfo=stored.tzinfo or UTC) == datetime.fromisoformat(start)
    inflow = json.loads(inflow)
    assert inflow["utm_source"] == "naver"
    assert inflow["utm_medium"] == "cpc" and inflow["utm_campaign"] == "fall"
    assert inflow["keyword"] == "가죽 토트백"
    assert inflow["referrer"].startswith("https://search.naver.com/")
    assert "utm_source=naver" in inflow["landing"]  # the first page, not the second
    consents = rows(
        leads_server,
        "select kind, granted, notice_version from leads_consentrecord"
        " where lead_id = ? order by kind",
        lead_id,
    )
    assert [(kind, bool(granted)) for kind, granted, _ in consents] == [
        ("collection", True),
        ("marketing", True),
    ]
    assert all(version for *_, version in consents)
    assert rows(
        leads_server, "select count(*) from leads_lead where phone = '+821012345678'"
    ) == [(1,)]

    # The receipt stays on the next page until the visitor is done with it.
    page.reload()
    expect(done).to_be_visible()
    part(page, ".done-ok").click()
    expect(part(page, ".win")).to_be_hidden()
    part(page, ".launcher").click()
    expect(part(page, ".lead-form")).to_be_visible()
    expect(field(page, "name")).to_have_value("")
    assert page.errors == []


def test_refused_and_lost_answers_keep_the_form_and_retry_with_the_same_key(
    leads_server, open_page, screenshot
):
    page = open_page(
        shop(leads_server, "lang=ko"), viewport=PHONE, is_mobile=True, has_touch=True
    )
    open_form(page)
    fill(page, name="재시도", phone="010-2222-3333")
    bodies = []
    page.on(
        "request",
        lambda r: bodies.append(r.post_data_json) if is_lead_post(r) else None,
    )
    leads_url = f"{leads_server.url}/public/v1/leads"
    error = part(page, ".form-error")
    submit = part(page, ".lead-submit")

    page.route(leads_url, lambda route: route.fulfill(status=429, json={"detail": "x"}))
    submit.click()
    expect(error).to_contain_text("요청이 너무 많습니다.")
    expect(field(page, "name")).to_have_value("재시도")
    page.unroute(leads_url)

    # The server takes the request but its answer never arrives.
    def lose_answer(route):
        route.fetch()
        route.abort("connectionreset")

    page.route(leads_url, lose_answer)
    submit.click()
    expect(error).to_have_text(
        "요청을 보내지 못했습니다. 인터넷 연결을 확인한 뒤 다시 시도해 주세요."
    )
    expect(submit).to_be_enabled()
    screenshot(page, "leads-network-error-phone-ko")
    page.unroute(leads_url)
    taken = "select count(*) from leads_lead where name = '재시도'"
    assert rows(leads_server, taken) == [(1,)]

    submit.click()  # the same key: the stored request is answered again
    expect(part(page, ".done")).to_be_visible()
    expect(part(page, ".done-title")).to_have_text("전화 상담 예약이 접수되었습니다")
    expect(part(page, ".done-when")).to_have_text("가능한 한 빨리 전화드리겠습니다.")
    screenshot(page, "leads-done-phone-ko")
    assert len(bodies) == 3
    assert len({body["idempotency_key"] for body in bodies}) == 1
    assert bodies[0]["website"] == "" and bodies[0]["slot"] == ""
    assert bodies[0]["lang"] == "ko" and bodies[0]["source"] == "offline_form"
    assert rows(
        leads_server,
        "select phone, submissions_count from leads_lead where name = '재시도'",
    ) == [("+821022223333", 1)]
    assert page.errors == []


def test_reopening_switches_to_chat_and_a_queued_visitor_can_leave_a_callback(
    leads_server, open_page, screenshot
):
    page = open_page(shop(leads_server), viewport=DESKTOP)
    open_form(page)
    with counselor_socket(leads_server.url) as counselor:
        counselor.send(type="status", status="online")
        counselor.receive("status")
        orm(
            leads_server,
            "from leads.models import Closure as C; C.objects.all().delete()",
        )

        # Live, without a reload (the server's schedule cache lasts up to 30 s).
        composer = part(page, ".composer")
        expect(composer).to_be_visible(timeout=45_000)
        expect(part(page, ".lead")).to_be_hidden()
        expect(part(page, ".greeting")).to_be_visible()

        part(page, "textarea").fill("Do you ship to Jeju?")
        part(page, ".send").click()
        expect(part(page, ".msg.from-visitor")).to_have_attribute("data-state", "sent")
        queue = part(page, ".queue")
        expect(queue).to_contain_text("Waiting for a counselor")
        link = part(page, ".queue-cb")
        expect(link).to_have_text("Leave a callback instead of waiting")
        screenshot(page, "leads-queue-link-desktop-en")

        link.click()
        expect(part(page, ".lead-form")).to_be_visible()
        expect(part(page, ".away")).to_be_hidden()
        expect(part(page, ".lead-intro")).to_contain_text("Your place in the queue")
        expect(field(page, "name")).to_be_focused()
        # Back and forth: the chat is still there.
        part(page, ".lead-back").click()
        expect(part(page, ".msg.from-visitor")).to_have_count(1)
        link.click()
        fill(page, name="Queue Park", phone="010-4444-5555")
        part(page, ".lead").evaluate("el => el.scrollTo(0, 0)")
        screenshot(page, "leads-queue-form-desktop-en")
        part(page, ".lead-submit").click()
        expect(part(page, ".done")).to_be_visible()
        screenshot(page, "leads-queue-done-desktop-en")

        found = rows(
            leads_server,
            "select source, conversation_id from leads_lead where name = 'Queue Park'",
        )
        assert len(found) == 1 and found[0][0] == "queue_overflow"
        status = rows(
            leads_server,
            "select status from chat_conversation where id = ?",
            found[0][1],
        )
        assert status == [("closed",)]  # the queued chat was given up

        part(page, ".done-ok").click()
        part(page, ".launcher").click()
        expect(part(page, ".ended")).to_contain_text("This chat has ended.")
    assert page.errors == []
