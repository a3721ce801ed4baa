"""The widget's tracking (68-track.js) on the demo shop, in chromium against a real
daphne server: what it reports in `track` frames on the visitor socket, and by HTTP
beacon when the socket is not there (docs/protocol.md "Tracking frames").

Frames are read as the browser sends them (Playwright's `framesent`), beacons as the
browser issues them (`request`; their Blob bodies, which DevTools do not show, from a
spy on navigator.sendBeacon), so these tests hold whatever the server answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from tests.support.servers import demo_server
from tests.support.waiting import pause, wait_until

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
NAVER = (
    "https://search.naver.com/search.naver?where=nexearch"
    "&query=%EA%B0%80%EC%A3%BD+%ED%86%A0%ED%8A%B8%EB%B0%B1"
)
TOTE = {"id": "bag-tote-01", "name": "Leather tote", "price": 129000}
CROSSBODY = {"id": "bag-cross-02", "name": "Mini crossbody", "price": 89000}
BEACON_PATH = "/public/v1/track"
# Keeps what the page hands to navigator.sendBeacon (then sends it as it would).
BEACON_SPY = """
    const send = navigator.sendBeacon.bind(navigator);
    window.beacons = [];
    navigator.sendBeacon = (url, data) => {
        const beacon = {url: String(url), type: data.type, body: null};
        window.beacons.push(beacon);
        data.text().then((text) => { beacon.body = text; });
        return send(url, data);
    };
"""


class Tracking:
    """Every tracking event a page sends on its visitor socket, in order."""

    def __init__(self, page):
        self.page = page
        self.frames: list[str] = []  # raw `track` frames, as sent
        self.events: list[dict] = []
        page.on("websocket", self._socket)

    def _socket(self, ws) -> None:
        if "/ws/visitor/" not in ws.url:
            return
        ws.on("framesent", self._sent)

    def _sent(self, payload) -> None:
        frame = json.loads(payload)
        if frame.get("type") == "track":
            self.frames.append(payload)
            self.events.extend(frame["events"])

    def kinds(self) -> list[str]:
        return [e["kind"] for e in self.events]

    def wait(self, found: Callable[[list[dict]], object], what: str, timeout=10.0):
        """Pump Playwright's events until `found(events)` is truthy."""
        return wait_until(
            lambda: found(self.events),
            timeout,
            what,
            interval=0.02,
            sleep=pause(self.page),
            describe=lambda _: f"sent: {self.events}",
        )

    def event(self, kind: str, when=lambda e: True, *, after=0) -> dict:
        """The first event of `kind` matching `when`, from index `after` on."""

        def first(events):
            for event in events[after:]:
                if event["kind"] == kind and when(event):
                    return event
            return None

        return self.wait(first, f"{kind} event")

    def fence(self, marker: str) -> int:
        """Send a search for `marker` through the API and wait for it: everything the
        page sent before it is then in `events`. Returns its index."""
        self.page.evaluate("marker => LiveChat.search(marker)", marker)
        event = self.event("search", lambda e: e["query"] == marker)
        return self.events.index(event)


@pytest.fixture(scope="module")
def track_server(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("tracking")) as server:
        yield server


@pytest.fixture
def shop(browser, track_server):
    """`shop(path)`: a new browser (context) on the demo shop and its Tracking."""
    contexts = []

    def make(path="/demo/", *, init_script=None, referer=None, goto=True, **options):
        context = browser.new_context(**{"viewport": DESKTOP, **options})
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.errors = []
        page.console = []
        page.on("pageerror", lambda error: page.errors.append(error))
        page.on("console", lambda m: page.console.append((m.type, m.text)))
        tracking = Tracking(page)
        if goto:
            page.goto(f"{track_server.url}{path}", referer=referer)
        return page, tracking

    yield make
    for context in contexts:
        context.close()


def loaded(page) -> None:
    page.wait_for_function("window.LiveChat && window.LiveChat.version")


def page_views(tracking, after=0) -> list[dict]:
    return [e for e in tracking.events[after:] if e["kind"] == "page_view"]


# ------------------------------------------------------------------ session, page views


def test_first_page_sends_session_then_page_view_from_data_attributes(
    shop, track_server
):
    landing = "/demo/?category=bags&utm_source=naver&utm_medium=cpc&utm_campaign=fall"
    page, tracking = shop(landing, referer=NAVER)
    view = tracking.event("page_view")
    session = tracking.events[0]
    assert tracking.kinds()[:2] == ["session", "page_view"]
    sid = session["session"]
    assert 8 <= len(sid) <= 64 and sid.isascii()
    assert session == {
        "kind": "session",
        "session": sid,
        "landing": f"{track_server.url}{landing}",
        "referrer": NAVER,
        "utm_source": "naver",
        "utm_medium": "cpc",
        "utm_campaign": "fall",
        "utm_term": None,
        "utm_content": None,
        "keyword": "가죽 토트백",
        "device": "desktop",
    }
    # <body data-lc-category="bags">: the product cards of the list are not the page.
    assert view == {
        "kind": "page_view",
        "session": sid,
        "url": f"{track_server.url}{landing}",
        "title": "Maison Demo — bags & dresses",
        "category": "bags",
    }

    # A product page (a full page load): its data-lc-page element describes it.
    page.goto(f"{track_server.url}/demo/?product=bag-tote-01")
    product = tracking.event("page_view", lambda e: "product" in e, after=2)
    assert product["session"] == sid
    assert product["category"] == "bags"
    assert product["product"] == TOTE
    assert product["title"] == "Leather tote — Maison Demo"

    # Another page of the same session: a page view, no second session start.
    page.goto(f"{track_server.url}/demo/?category=dresses")
    dresses = tracking.event("page_view", lambda e: e.get("category") == "dresses")
    assert dresses["session"] == sid
    assert tracking.kinds().count("session") == 1
    assert {e["session"] for e in tracking.events} == {sid}

    # A new browser is a new session.
    _, other = shop("/demo/")
    assert other.event("session")["session"] != sid
    assert page.errors == []


@pytest.mark.parametrize(
    ("options", "device"),
    [
        (
            {
                "viewport": {"width": 390, "height": 844},
                "is_mobile": True,
                "has_touch": True,
            },
            "mobile",
        ),
        ({"viewport": {"width": 820, "height": 1180}, "has_touch": True}, "tablet"),
    ],
)
def test_session_reports_the_device(shop, screenshot, options, device):
    page, tracking = shop("/demo/?category=dresses", **options)
    assert tracking.event("session")["device"] == device
    screenshot(page, f"tracking-demo-{device}")


def test_single_page_app_route_changes_are_page_views(shop, track_server, screenshot):
    page, tracking = shop("/demo/?category=bags")
    tracking.event("page_view")
    loaded(page)

    # The demo's product link: history.pushState, then the shop renders the product.
    page.locator(".product h3 a", has_text="Mini crossbody").click()
    view = tracking.event("page_view", lambda e: "product=bag-cross-02" in e["url"])
    assert view["url"] == f"{track_server.url}/demo/?category=bags&product=bag-cross-02"
    assert view["product"] == CROSSBODY
    assert view["category"] == "bags"
    assert view["title"] == "Mini crossbody — Maison Demo"
    expect(page.locator("[data-detail-name]")).to_have_text("Mini crossbody")
    screenshot(page, "tracking-demo-product")

    # Any pushState; replaceState to the same URL and in-page anchors are not pages.
    page.evaluate("history.pushState({}, '', '/demo/?spa=1')")
    tracking.event("page_view", lambda e: e["url"].endswith("/demo/?spa=1"))
    page.evaluate("history.replaceState({}, '', location.href)")
    page.evaluate("location.hash = 'reviews'")
    fence = tracking.fence("after-replace")
    assert len(page_views(tracking)) == 3

    # Several changes within one frame make one page view, of the last URL.
    page.evaluate(
        "history.pushState({}, '', '/demo/?spa=2');"
        "history.pushState({}, '', '/demo/?spa=3')"
    )
    tracking.event("page_view", lambda e: e["url"].endswith("spa=3"), after=fence)
    assert not any(e["url"].endswith("spa=2") for e in page_views(tracking))

    # Back (popstate), through spa=2, spa=1#reviews and spa=1 (the same page) to the
    # product page, whose data the shop renders again from the URL.
    for _ in range(4):
        page.go_back()
    back = tracking.event("page_view", lambda e: "product" in e, after=fence)
    assert back["url"].endswith("product=bag-cross-02")
    assert back["product"] == CROSSBODY
    urls = [e["url"].split("/demo/")[1] for e in page_views(tracking, after=fence)]
    assert urls == [
        "?spa=3",
        "?spa=2",
        "?spa=1#reviews",
        "?category=bags&product=bag-cross-02",
    ]
    assert page.errors == []


def test_calls_queued_before_the_widget_loaded_are_replayed_in_order(shop):
    snippet = """
        window.LiveChat = window.LiveChat || [];
        LiveChat.push(["identify", {user_id: "u-1", attrs: {segment: "vip"},
                                    ts: 1763910000, sig: "ab12"}]);
        LiveChat.push(["search", "linen"], ["cartAdd", {id: "x-1", price: "5,000"}, 2]);
        LiveChat.push(["checkout", "cart"]);
    """
    page, tracking = shop("/demo/", init_script=snippet)
    tracking.event("checkout")
    assert tracking.kinds() == [
        "session",
        "page_view",
        "identify",
        "search",
        "cart_add",
        "checkout",
    ]
    assert tracking.events[3]["query"] == "linen"
    assert tracking.events[4]["product"] == {"id": "x-1", "price": 5000}
    assert tracking.events[4]["qty"] == 2

    # A queued `page` call describes the page: it is the page view, not a second one.
    described = """
        window.LiveChat = window.LiveChat || [];
        LiveChat.push(["page", {category: "loans",
                                product: {id: "L-7", name: "Car loan"}}]);
        LiveChat.push(["checkout", "limit_check"]);
    """
    page, tracking = shop("/demo/?category=bags", init_script=described)
    tracking.event("checkout")
    assert tracking.kinds() == ["session", "page_view", "checkout"]
    view = tracking.events[1]
    assert view["category"] == "loans"
    assert view["product"] == {"id": "L-7", "name": "Car loan"}
    assert view["title"] == "Maison Demo — bags & dresses"
    assert page.errors == []


# ------------------------------------------------------------------ shop events


def test_cart_add_from_the_demo_button_the_api_and_the_declarative_hook(shop):
    page, tracking = shop("/demo/")
    tracking.event("page_view")
    loaded(page)

    # The list's buttons call LiveChat.cartAdd.
    card = page.locator(".product", has_text="Leather tote")
    card.get_by_role("button", name="Add to cart").click()
    added = tracking.event("cart_add")
    assert added["product"] == {**TOTE, "category": "bags"}
    assert added["qty"] == 1
    expect(page.locator("[data-cart-count]")).to_have_text("1")

    # Straight through the API.
    page.evaluate(
        "LiveChat.cartAdd("
        "{id: 42, name: 'Gift card', category: 'gifts', price: 50000}, 3)"
    )
    api = tracking.event("cart_add", lambda e: e["product"]["id"] == "42")
    assert api["product"] == {
        "id": "42",
        "name": "Gift card",
        "category": "gifts",
        "price": 50000,
    }
    assert api["qty"] == 3

    # The product page's button has data-lc-track="cart_add": reported by the hook.
    page.locator(".product h3 a", has_text="Mini crossbody").click()
    detail = page.locator("[data-detail]")
    detail.get_by_role("button", name="Add to cart").click()
    hooked = tracking.event("cart_add", lambda e: e["product"]["id"] == "bag-cross-02")
    assert hooked == {
        "kind": "cart_add",
        "session": added["session"],
        "product": {**CROSSBODY, "category": "bags"},
        "qty": 1,
    }
    tracking.fence("after-cart")
    assert [e["product"]["id"] for e in tracking.events if e["kind"] == "cart_add"] == [
        "bag-tote-01",
        "42",
        "bag-cross-02",
    ]
    # The shop's other call of the API still works.
    page.get_by_role("button", name="Chat with a stylist").click()
    expect(page.locator("livechat-widget .win")).to_be_visible()
    assert page.errors == []


def test_search_from_the_form_hook_and_the_api(shop, track_server, screenshot):
    page, tracking = shop("/demo/?category=dresses")
    tracking.event("page_view")
    loaded(page)
    # The shop's form has data-lc-track="search"; the shop shows results in place.
    page.get_by_role("searchbox", name="Search the shop").fill("  tote  ")
    page.get_by_role("button", name="Search").click()
    searched = tracking.event("search")
    assert searched["query"] == "tote"
    results = tracking.event("page_view", lambda e: "q=tote" in e["url"])
    assert results["url"] == f"{track_server.url}/demo/?q=tote"
    assert "category" not in results
    expect(page.locator(".product:visible")).to_have_count(1)
    expect(page.locator("[data-list-title]")).to_have_text("Results for “tote”")
    screenshot(page, "tracking-demo-search")

    page.evaluate("LiveChat.search('토트백')")
    tracking.event("search", lambda e: e["query"] == "토트백")
    assert [e["query"] for e in tracking.events if e["kind"] == "search"] == [
        "tote",
        "토트백",
    ]
    assert page.errors == []


def test_checkout_steps_purchase_and_cart_remove(shop, screenshot):
    page, tracking = shop("/demo/")
    tracking.event("page_view")
    loaded(page)
    for name in ("Leather tote", "Mini crossbody", "Leather tote"):
        page.locator(".product", has_text=name).get_by_role(
            "button", name="Add to cart"
        ).click()
    page.locator(".product", has_text="Linen midi dress").get_by_role(
        "button", name="Add to cart"
    ).click()
    expect(page.locator("[data-cart-count]")).to_have_text("4")

    page.get_by_role("button", name="Cart (4)").click()
    tracking.event("checkout", lambda e: e["step"] == "cart")
    tracking.event("page_view", lambda e: e["url"].endswith("checkout=cart"))
    lines = page.locator("[data-cart-lines] li")
    expect(lines).to_have_count(3)
    lines.filter(has_text="Linen midi dress").get_by_role(
        "button", name="Remove"
    ).click()
    removed = tracking.event("cart_remove")
    assert removed["product"]["id"] == "dress-linen-01"
    assert removed["qty"] == 1
    screenshot(page, "tracking-demo-cart")

    page.get_by_role("button", name="Continue to shipping").click()
    tracking.event("checkout", lambda e: e["step"] == "shipping")
    page.get_by_role("button", name="Continue to payment").click()
    tracking.event("checkout", lambda e: e["step"] == "payment")
    page.get_by_role("button", name="Place order").click()
    purchase = tracking.event("purchase")
    assert purchase["order"].startswith("D-")
    assert purchase["amount"] == 2 * 129000 + 89000
    assert purchase["items"] == [
        {"id": "bag-tote-01", "category": "bags", "price": 129000, "qty": 2},
        {"id": "bag-cross-02", "category": "bags", "price": 89000, "qty": 1},
    ]
    expect(page.locator("[data-order-ref]")).to_have_text(purchase["order"])
    expect(page.locator("[data-cart-count]")).to_have_text("0")
    screenshot(page, "tracking-demo-done")

    steps = [e["step"] for e in tracking.events if e["kind"] == "checkout"]
    assert steps == ["cart", "shipping", "payment"]
    urls = [e["url"].split("?")[-1] for e in page_views(tracking)]
    assert urls[-4:] == [
        "checkout=cart",
        "checkout=shipping",
        "checkout=payment",
        "checkout=done",
    ]
    # The checkout's data-lc-page has no category: the list's is not carried over.
    assert all("category" not in e for e in page_views(tracking)[-4:])
    assert page.errors == []


def test_identify_goes_unchanged_and_an_unsendable_one_not_at_all(shop):
    page, tracking = shop("/demo/")
    tracking.event("page_view")
    loaded(page)
    signed = {
        "user_id": "u-42",
        "attrs": {
            "segment": "vip",
            "loan_maturity_date": "2026-11-28",
            "spend_6m": 1250000.5,
            "card_holder": True,
            "note": None,
            "name": " 김민지 ",  # signed as it is: not trimmed
        },
        "ts": 1763910000,
        "sig": "5b1e" * 16,
    }
    page.evaluate("data => LiveChat.identify(data)", signed)
    identify = tracking.event("identify")
    session = identify.pop("session")
    assert session == tracking.events[0]["session"]
    assert identify == {"kind": "identify", **signed}
    assert list(identify["attrs"]) == list(signed["attrs"])  # key order kept

    too_many = {**signed, "attrs": {f"k{i}": i for i in range(31)}}
    page.evaluate("data => LiveChat.identify(data)", too_many)
    page.evaluate("data => LiveChat.identify(data)", {**signed, "ts": "1763910000"})
    tracking.fence("after-identify")
    assert tracking.kinds().count("identify") == 1
    warning = "LiveChat: identify ignored: a required field is missing or invalid."
    assert page.console.count(("warning", warning)) == 2
    assert page.errors == []


# ------------------------------------------------------------------ limits


def test_events_are_batched_at_most_20_per_frame(shop):
    page, tracking = shop("/demo/")
    tracking.event("page_view")
    loaded(page)
    before = len(tracking.frames)
    page.evaluate("for (let i = 0; i < 45; i++) LiveChat.search(`q${i}`)")
    tracking.wait(
        lambda events: sum(e["kind"] == "search" for e in events) == 45, "45 searches"
    )
    frames = [json.loads(f)["events"] for f in tracking.frames[before:]]
    assert [len(f) for f in frames] == [20, 20, 5]
    queries = [e["query"] for f in frames for e in f]
    assert queries == [f"q{i}" for i in range(45)]

    # Events too big for 20 in one frame: as many frames as the size limit needs.
    before = len(tracking.frames)
    page.evaluate(
        """for (let i = 0; i < 20; i++) LiveChat.page({
            title: "가".repeat(200), category: "나".repeat(80),
            product: {id: `${i}`.padEnd(80, "다"), name: "라".repeat(200)}})"""
    )
    tracking.wait(lambda events: len(page_views(tracking)) == 21, "20 big page views")
    sizes = [len(f.encode()) for f in tracking.frames[before:]]
    assert len(sizes) > 1
    assert all(size <= 16384 for size in sizes)
    assert page.errors == []


def test_oversize_fields_are_trimmed_to_the_protocol_limits(shop):
    page, tracking = shop("/demo/")
    tracking.event("page_view")
    loaded(page)
    page.evaluate(
        """() => {
        history.pushState({}, "", "/demo/?long=" + "x".repeat(700));
        LiveChat.page({
            title: "  " + "t".repeat(500),
            category: "c".repeat(200),
            product: {id: "p".repeat(100), name: "n".repeat(300), price: -5},
        });
        LiveChat.search("가".repeat(150) + "😀".repeat(100));
        LiveChat.cartAdd({id: "bag-tote-01", price: "abc"}, 5000);
        LiveChat.cartRemove({id: "bag-tote-01"}, 0);
        LiveChat.checkout("s".repeat(60));
        LiveChat.purchase({order: "O-1", items: Array.from({length: 60}, (_, i) => (
            {id: `i${i}`, category: "bags", price: 1000, qty: 1}))});
        LiveChat.search("   ");
        LiveChat.cartAdd({name: "no id"});
    }"""
    )
    tracking.fence("after-limits")
    view = page_views(tracking)[-1]
    assert len(view["url"]) == 500 and view["url"].startswith("http")
    assert view["title"] == "t" * 200
    assert view["category"] == "c" * 80
    assert view["product"] == {"id": "p" * 80, "name": "n" * 200}
    search = next(e for e in tracking.events if e["kind"] == "search")
    # 200 UTF-16 units, as the browser counts them: an emoji is 2; none is halved.
    assert search["query"] == "가" * 150 + "😀" * 25
    added = next(e for e in tracking.events if e["kind"] == "cart_add")
    assert added["product"] == {"id": "bag-tote-01"} and added["qty"] == 999
    removed = next(e for e in tracking.events if e["kind"] == "cart_remove")
    assert removed["qty"] == 1
    assert (
        next(e for e in tracking.events if e["kind"] == "checkout")["step"] == "s" * 40
    )
    purchase = next(e for e in tracking.events if e["kind"] == "purchase")
    assert len(purchase["items"]) == 50
    assert purchase["amount"] == 50 * 1000  # left out by the page: the items' sum
    # Nothing sendable: not sent (a blank search, a product without an id).
    assert [e["kind"] for e in tracking.events].count("search") == 2
    assert [e["kind"] for e in tracking.events].count("cart_add") == 1
    assert page.errors == []


# ------------------------------------------------------------------ socket down


class VisitorSockets:
    """Routes the visitor socket: refused at once while `allow` is false (the widget
    keeps reconnecting), else through to the server, recording the frames sent."""

    def __init__(self, context):
        self.allow = False
        self.refused = 0
        self.sent: list[dict] = []
        context.route_web_socket("**/ws/visitor/**", self._route)

    def _route(self, ws) -> None:
        if not self.allow:
            self.refused += 1
            ws.close(code=1011)
            return
        server = ws.connect_to_server()

        def up(message):
            self.sent.append(json.loads(message))
            server.send(message)

        ws.on_message(up)
        server.on_message(ws.send)

    def track_frames(self) -> list[list[dict]]:
        return [f["events"] for f in self.sent if f.get("type") == "track"]


def test_while_the_socket_is_down_events_wait_for_the_next_hello(shop, track_server):
    page, tracking = shop("/demo/")
    tracking.event("page_view")
    sockets = VisitorSockets(page.context)
    page.goto(f"{track_server.url}/demo/?category=bags")
    tracking.wait(lambda _: sockets.refused, "a refused socket")
    loaded(page)
    # 1 page view + 250 searches: the queue keeps the last 200.
    page.evaluate("for (let i = 0; i < 250; i++) LiveChat.search(`s${i}`)")
    sockets.allow = True
    page.evaluate("dispatchEvent(new Event('online'))")  # reconnect now

    def all_sent(_):
        return sum(len(f) for f in sockets.track_frames()) >= 200

    tracking.wait(all_sent, "the queue after hello")
    kinds = [f["type"] for f in sockets.sent]
    assert kinds.index("resume") < kinds.index("track")
    frames = sockets.track_frames()
    assert [len(f) for f in frames] == [20] * 10
    assert [e["query"] for f in frames for e in f] == [f"s{i}" for i in range(50, 250)]
    assert page.errors == []


def test_while_the_socket_is_down_leaving_the_page_sends_the_queue_by_beacon(
    shop, track_server
):
    page, tracking = shop("/demo/", init_script=BEACON_SPY)
    tracking.event("page_view")
    loaded(page)
    token = page.evaluate(
        "key => JSON.parse(localStorage.getItem(`livechat:${key}:token`))",
        track_server.site_key,
    )
    assert token

    sockets = VisitorSockets(page.context)  # refused from now on
    page.goto(f"{track_server.url}/demo/?category=dresses")
    tracking.wait(lambda _: sockets.refused, "a refused socket")
    loaded(page)
    page.locator(".product", has_text="Linen midi dress").get_by_role(
        "button", name="Add to cart"
    ).click()
    page.evaluate("LiveChat.checkout('cart')")
    expect(page.locator("[data-cart-count]")).to_have_text("1")
    sent_before = len(tracking.events)

    # The page going away: pagehide. (Chromium's DevTools do not show requests made
    # by a document as it unloads, so this one is dispatched on the live page; the
    # real unload follows below.)
    with page.expect_request(lambda r: r.url.endswith(BEACON_PATH)) as beacon:
        page.evaluate("dispatchEvent(new PageTransitionEvent('pagehide'))")
    request = beacon.value
    assert request.method == "POST"
    assert request.url == f"{track_server.url}{BEACON_PATH}"
    assert request.headers["content-type"] == "text/plain"  # no CORS preflight
    page.wait_for_function("beacons.length === 1 && beacons[0].body !== null")
    spied = page.evaluate("beacons[0]")
    assert (spied["url"], spied["type"]) == (request.url, "text/plain")
    body = json.loads(spied["body"])
    assert list(body) == ["site", "token", "events"]
    assert body["site"] == track_server.site_key
    assert body["token"] == token
    assert [e["kind"] for e in body["events"]] == ["page_view", "cart_add", "checkout"]
    assert body["events"][0]["category"] == "dresses"
    assert body["events"][1]["product"]["id"] == "dress-linen-01"
    assert {e["session"] for e in body["events"]} == {tracking.events[0]["session"]}
    # Sent once, by beacon: nothing of it on a socket, and no second beacon.
    page.evaluate("dispatchEvent(new PageTransitionEvent('pagehide'))")
    assert page.evaluate("beacons.length") == 1
    assert len(tracking.events) == sent_before

    # Beacons have the frames' limits: at most 20 events each.
    page.evaluate("for (let i = 0; i < 45; i++) LiveChat.search(`b${i}`)")
    page.evaluate("dispatchEvent(new PageTransitionEvent('pagehide'))")
    page.wait_for_function(
        "beacons.length === 4 && beacons.every((b) => b.body !== null)"
    )
    batches = [json.loads(b["body"])["events"] for b in page.evaluate("beacons")[1:]]
    assert [len(events) for events in batches] == [20, 20, 5]
    assert [e["query"] for events in batches for e in events] == [
        f"b{i}" for i in range(45)
    ]

    # The real thing: closing the tab with an event still queued. The server's
    # access log shows the beacon arrive.
    beacons_logged = server_log_count(track_server, f'"POST {BEACON_PATH}')
    page.evaluate("LiveChat.checkout('shipping')")
    page.close(run_before_unload=True)
    wait_until(
        lambda: server_log_count(track_server, f'"POST {BEACON_PATH}') > beacons_logged,
        10,
        "the beacon in the server's log",
    )


def server_log_count(server, text: str) -> int:
    return server.log_path.read_text(errors="replace").count(text)


def test_bad_event_error_is_only_logged(shop, track_server):
    """The server's `bad_event` answer: console.debug, nothing shown to the visitor."""
    sockets = []

    def through(ws):
        ws.connect_to_server()
        sockets.append(ws)

    page, tracking = shop(goto=False)
    page.route_web_socket("**/ws/visitor/**", through)
    page.goto(f"{track_server.url}/demo/")
    tracking.wait(lambda _: sockets, "the visitor socket")
    loaded(page)
    page.wait_for_function("document.querySelector('livechat-widget')")
    sockets[0].send(
        json.dumps(
            {
                "type": "error",
                "code": "bad_event",
                "message": "'query' is required.",
                "index": 0,
            }
        )
    )
    tracking.wait(
        lambda _: any(
            kind == "debug" and "refused" in text for kind, text in page.console
        ),
        "the debug line",
    )
    expect(page.locator("livechat-widget .notice")).to_be_hidden()
    assert page.errors == []
