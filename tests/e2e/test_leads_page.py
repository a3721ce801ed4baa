"""The lead list (/console/leads/) in a real browser against a real daphne server.
Leads come in through the public form endpoint, exactly as the widget sends them;
the manager and the counselor are played by chromium through Playwright."""

from __future__ import annotations

import csv
import io
import json
import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from tests.support.browser import submit_lead
from tests.support.servers import demo_server

pytestmark = pytest.mark.e2e

MANAGER = "Minseo Park"
COUNSELOR = "Jiwoo Kim"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Like `chat_server`, but this module's own: it erases leads."""
    workdir = tmp_path_factory.mktemp("e2e-leads")
    with demo_server(workdir) as running:
        yield running


@pytest.fixture(scope="module")
def leads(server):
    """Three people, oldest first."""
    return {
        "minjun": submit_lead(
            server,
            "김민준",
            "010-1234-5678",
            email="minjun@example.com",
            message="전화 부탁드립니다\n오후가 좋아요",
            inflow={"utm_source": "naver", "referrer": "https://search.naver.com/"},
        ),
        "alice": submit_lead(server, "Alice Smith", "010-2222-3333"),
        "seoyeon": submit_lead(server, "이서연", "010 5555 6666"),
    }


@pytest.fixture
def login(browser, server):
    """`login("manager", path)`: a signed-in page with the list loaded."""
    contexts = []
    errors: list[str] = []

    def open_as(username: str, path: str = "/console/leads/"):
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{server.url}/console/login/?next={quote(path)}")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "demo-pass-1234")
        page.click("button[type=submit]")
        loaded(page)
        return page

    yield open_as
    for context in contexts:
        context.close()
    assert errors == []


def loaded(page):
    expect(page.locator("[data-region=table-wrap]")).to_have_attribute(
        "aria-busy", "false"
    )


def refs(page):
    return page.locator("[data-region=rows] a.ref")


def tab(page, label: str):
    return page.locator(".tab", has_text=re.compile(f"^{label}"))


def search(page, text: str):
    """Type into the search box and wait for the debounced query to land."""
    page.fill("input[name=q]", text)
    page.wait_for_function(
        "q => (new URLSearchParams(location.search).get('q') || '') === q", arg=text
    )
    loaded(page)


def test_list_filters_live_in_the_url(login, leads, screenshot):
    page = login("manager")
    newest_first = [leads["seoyeon"], leads["alice"], leads["minjun"]]
    expect(refs(page)).to_have_text(newest_first)
    expect(tab(page, "All open").locator(".tab-count")).to_have_text("3")
    expect(tab(page, "New").locator(".tab-count")).to_have_text("3")
    expect(tab(page, "Won").locator(".tab-count")).to_have_text("0")
    expect(
        page.locator("tr", has_text=leads["minjun"]).locator(".lead-name")
    ).to_have_text("김민준")
    screenshot(page, "leads-list")

    search(page, "01012345678")  # stored as +821012345678
    expect(refs(page)).to_have_text([leads["minjun"]])
    page.reload()
    expect(page.locator("input[name=q]")).to_have_value("01012345678")
    expect(refs(page)).to_have_text([leads["minjun"]])

    search(page, "서연")
    expect(refs(page)).to_have_text([leads["seoyeon"]])
    search(page, "")
    expect(refs(page)).to_have_count(3)

    tab(page, "Won").click()
    expect(page).to_have_url(re.compile(r"status=won"))
    expect(page.locator("[data-region=table-state]")).to_contain_text("No won leads")
    page.go_back()
    expect(tab(page, "All open")).to_have_attribute("aria-pressed", "true")
    expect(refs(page)).to_have_count(3)


def test_manager_works_a_lead_from_the_drawer(login, leads, server, screenshot):
    page = login("manager")
    page.locator("a.ref", has_text=leads["minjun"]).click()
    expect(page).to_have_url(re.compile(r"#\d+$"))
    drawer = page.locator("[data-region=drawer]")
    expect(drawer.locator("h2")).to_have_text("김민준")
    expect(drawer.locator("[data-region=phone]")).to_have_attribute(
        "href", "tel:+821012345678"
    )
    expect(drawer.locator("[data-region=phone]")).to_have_text("010-1234-5678")
    expect(drawer.locator(".lead-message")).to_have_text(
        "전화 부탁드립니다\n오후가 좋아요"
    )
    expect(drawer).to_contain_text("UTM source")
    expect(drawer.locator(".consent").first).to_contain_text("Notice 2026-11-01")
    expect(drawer.locator(".event").last).to_contain_text("Lead created")

    timeline = drawer.locator("[data-region=timeline] .event")
    drawer.locator("select[name=status]").select_option("contacted")
    expect(timeline.first).to_contain_text("Status: New → Contacted")
    expect(timeline.first.locator(".event-actor")).to_have_text(MANAGER)
    row = page.locator("tr", has_text=leads["minjun"])
    expect(row.locator(".badge")).to_have_text("Contacted")
    expect(tab(page, "Contacted").locator(".tab-count")).to_have_text("1")

    drawer.locator("select[name=assignee]").select_option(label=COUNSELOR)
    expect(timeline.first).to_contain_text(f"Assigned to {COUNSELOR}")
    expect(timeline.first.locator(".event-actor")).to_have_text(MANAGER)
    expect(row).to_contain_text(COUNSELOR)

    drawer.locator("input[name=callback]").fill("2030-01-02T10:30")
    drawer.get_by_role("button", name="Save").click()
    expect(timeline.first).to_contain_text("Callback set for")
    expect(drawer.locator("input[name=callback]")).to_have_value("2030-01-02T10:30")

    drawer.locator("textarea[name=text]").fill("Called back: wants a quote by e-mail")
    drawer.get_by_role("button", name="Add note").click()
    expect(timeline.first.locator(".event-text")).to_have_text(
        "Called back: wants a quote by e-mail"
    )
    expect(timeline.first.locator(".event-actor")).to_have_text(MANAGER)
    page.set_viewport_size({"width": 1280, "height": 1500})  # the whole drawer
    screenshot(page, "leads-drawer")
    page.set_viewport_size({"width": 1280, "height": 860})

    # A refused move shows the server's reason: a lost lead cannot be reopened
    # while the same person has a newer open lead.
    page.locator("a.ref", has_text=leads["alice"]).click()
    expect(drawer.locator("h2")).to_have_text("Alice Smith")
    drawer.locator("select[name=status]").select_option("lost")
    expect(timeline.first).to_contain_text("Status: New → Lost")
    submit_lead(server, "Alice Smith", "01022223333")
    drawer.locator("select[name=status]").select_option("contacted")
    expect(drawer.locator("[data-region=work-error]")).to_have_text(
        "This person already has another open lead; work on that one."
    )
    expect(drawer.locator("select[name=status]")).to_have_value("lost")

    page.keyboard.press("Escape")
    expect(drawer).to_be_hidden()
    expect(page).not_to_have_url(re.compile("#"))


def test_csv_export_has_the_rows_of_the_filter(login, server):
    first = submit_lead(server, "Export Test One", "010-3000-0001")
    second = submit_lead(server, "=Export Test Two", "010-3000-0002")
    page = login("manager", "/console/leads/?q=Export+Test")
    expect(refs(page)).to_have_text([second, first])
    with page.expect_download() as info:
        page.get_by_role("link", name="Export CSV").click()
    download = info.value
    assert download.suggested_filename == "leads.csv"
    raw = open(download.path(), "rb").read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:6] == [
        "reference",
        "created_at (Asia/Seoul)",  # times are the site's, and say so
        "source",
        "status",
        "name",
        "phone",
    ]
    assert [(r[0], r[4], r[5]) for r in rows[1:]] == [
        (second, "'=Export Test Two", "+821030000002"),
        (first, "Export Test One", "+821030000001"),
    ]


def test_manager_exports_then_erases_one_person(login, server, screenshot):
    reference = submit_lead(
        server, "박지민", "010-9999-0000", email="jimin@example.com"
    )
    page = login("manager")
    expect(refs(page).first).to_have_text(reference)
    page.get_by_role("button", name="Privacy…").click()
    dialog = page.locator("[data-region=privacy-dialog]")
    dialog.locator("input[name=person]").fill("+82 10-9999-0000")
    with page.expect_download() as info:
        dialog.get_by_role("button", name="Download data (JSON)").click()
    exported = json.loads(open(info.value.path(), encoding="utf-8").read())
    assert [lead["name"] for lead in exported["leads"]] == ["박지민"]
    assert exported["leads"][0]["reference"] == reference

    dialog.get_by_role("button", name="Erase…").click()
    erase = dialog.get_by_role("button", name="Erase permanently")
    expect(erase).to_be_disabled()
    dialog.locator("input[name=confirm]").fill("ERASE")
    expect(erase).to_be_enabled()
    screenshot(page, "leads-privacy")
    erase.click()
    result = dialog.locator("[data-region=privacy-result]")
    expect(result).to_contain_text("Erased: 1 lead.")
    expect(result.locator("[data-removed=leads]")).to_have_text("1")
    expect(result.locator("[data-removed=submissions]")).to_have_text("0")
    expect(page.locator("a.ref", has_text=reference)).to_have_count(0)
    loaded(page)
    screenshot(page, "leads-privacy-erased")
    dialog.get_by_role("button", name="Close").click()
    search(page, "01099990000")
    expect(page.locator("[data-region=table-state]")).to_contain_text("No leads match")


def test_counselor_sees_leads_without_export_or_privacy(login, leads, server):
    page = login("counselor")
    expect(page.locator("[data-region=me-role]")).to_have_text("Counselor")
    expect(page.locator("a.ref", has_text=leads["seoyeon"])).to_have_count(1)
    expect(page.get_by_role("link", name="Export CSV")).to_have_count(0)
    expect(page.get_by_role("button", name="Privacy…")).to_have_count(0)
    page.locator("a.ref", has_text=leads["seoyeon"]).click()
    drawer = page.locator("[data-region=drawer]")
    expect(drawer.locator("h2")).to_have_text("이서연")
    expect(drawer.get_by_text("Export or erase")).to_have_count(0)
    status = page.evaluate("fetch('/api/leads/export/').then(r => r.status)")
    assert status == 403
    manager = login("manager")
    assert manager.evaluate("fetch('/api/leads/export/').then(r => r.status)") == 200
