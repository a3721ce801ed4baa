"""Shared pieces of the browser tests (tests/e2e/), all on Playwright's sync API: the
widget's parts, the console logged in, a counselor or a visitor played over a real
WebSocket (`websockets`' sync client), the demo server's database.

The server is a `tests.support.servers.DemoServer`.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import re
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import websockets
from playwright.sync_api import expect
from websockets.sync.client import connect

from tests.support.servers import DemoServer, demo_server
from tests.support.waiting import wait_until

SHOTS = Path(__file__).resolve().parents[1] / "e2e" / "screenshots"
W = "livechat-widget"  # the widget's host element; CSS selectors pierce its shadow
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
PASSWORD = "demo-pass-1234"  # demo_setup's counselor and manager

# Manual routing (a chat stays queued while the counselor is online), open around
# the clock, and a closure covering today: the widget shows the callback form.
CLOSED_TODAY = """
from datetime import date, time, timedelta
from chat.models import Site
from leads.models import Closure, LeadSettings, OpeningPeriod
site = Site.objects.get(name="Demo shop")
site.routing = "manual"  # a chat stays queued while the counselor is online
site.save()
LeadSettings.objects.get_or_create(site=site)
for day in range(7):  # around the clock (00:00 to 24:00)
    OpeningPeriod.objects.create(site=site, weekday=day, opens=time(0), closes=time(0))
today = date.today()
Closure.objects.create(
    site=site, starts_on=today - timedelta(days=1), ends_on=today + timedelta(days=1),
    reason="e2e",
)
"""


# -- the server's record ---------------------------------------------------------------


def rows(server: DemoServer, sql: str, *params) -> list[tuple]:
    """Read the server's SQLite database directly."""
    return server.rows(sql, *params)


def orm(server: DemoServer, code: str) -> str:
    """Run ORM code against the server's database (its own settings and env)."""
    return server.shell(code)


def submit_lead(server: DemoServer, name: str, phone: str, **extra) -> str:
    """POST the callback form as the widget does; returns the lead's reference."""
    body = {
        "site": server.site_key,
        "idempotency_key": uuid.uuid4().hex,
        "name": name,
        "phone": phone,
        "consent": {
            "collection": True,
            "marketing": False,
            "notice_version": "2026-11-01",
        },
        **extra,
    }
    request = urllib.request.Request(
        f"{server.url}/public/v1/leads",
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Origin": server.url},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 201
        return json.load(response)["lead"]["reference"]


# -- the widget ------------------------------------------------------------------------


def part(page, selector):
    return page.locator(f"{W} {selector}")


def shop(server: DemoServer, query: str = "") -> str:
    """The demo shop in English on localhost, the widget from 127.0.0.1
    (cross-origin, as on a customer's site)."""
    return f"{server.alt_url}/demo/?{query}&lang=en&server={server.url}"


def send_message(page, text):
    part(page, "textarea").fill(text)
    part(page, ".send").click()


def conversation_id(page, site_key, *, newer_than=0) -> int:
    """The conversation the widget shows, from its (briefly debounced) local copy."""
    handle = page.wait_for_function(
        """([key, after]) => {
            const raw = localStorage.getItem(`livechat:${key}:conversation`);
            const cached = JSON.parse(raw);
            const id = cached && cached.conv && cached.conv.id;
            return id > after ? id : false;
        }""",
        arg=[site_key, newer_than],
    )
    return handle.json_value()


# -- the console -----------------------------------------------------------------------


def log_in(page, server, username: str, path: str = "/console/"):
    page.goto(f"{server.url}/console/login/?next={path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}{path}")


def counselor_online(page, server):
    log_in(page, server, "counselor")
    expect(page.locator("[data-region=connection]")).to_have_attribute(
        "data-state", "open"
    )
    page.select_option("[data-action=status]", "online")
    expect(page.locator("[data-region=status-wrap]")).to_have_attribute(
        "data-status", "online"
    )


def chat_item(page, name: str):
    return page.locator(".chat-item", has_text=name)


@contextmanager
def console(browser, server, route=None, username="counselor", login_shot=None):
    """A console page at 1366x768 in a browser context of its own, logged in through
    the login page; `route` may sit on its socket. The page's uncaught errors fail
    the test; a failing test leaves tests/e2e/screenshots/failure.png."""
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(f"{exc}\n{exc.stack}"))
        if route is not None:
            page.route_web_socket("**/ws/agent/", route)
        page.goto(f"{server.url}/console/")
        expect(page).to_have_url(re.compile(r"/console/login/"))
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        if login_shot:
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=SHOTS / login_shot)
        page.click("button[type=submit]")
        expect(page.locator("[data-region=connection]")).to_have_attribute(
            "data-state", "open"
        )
        expect(page.locator("[data-action=status]")).to_have_value("online")
        try:
            yield page
        except BaseException:
            with contextlib.suppress(Exception):
                SHOTS.mkdir(exist_ok=True)
                page.screenshot(path=SHOTS / "failure.png")
            raise
        assert errors == [], errors
    finally:
        context.close()


def reset_chats(server: DemoServer) -> None:
    """Close every open conversation and set every counselor offline, so a test
    starts with an empty console and routing can only pick the counselors whose
    console the test opened (a colleague left online by an earlier test would
    otherwise win the "longest idle" tie-break)."""
    server.shell(
        "from chat.models import Conversation as C, CounselorProfile as P; "
        "C.objects.exclude(status='closed').update(status='closed'); "
        "P.objects.update(status='offline')"
    )


# -- a counselor and a visitor over real WebSockets ------------------------------------


def login_cookie(base_url: str, username: str, password: str) -> str:
    """Log in through the console's login form; returns the Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_url = f"{base_url}/console/login/"
    html = opener.open(login_url).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token, "the login page has no CSRF token"
    form = {"username": username, "password": password}
    form["csrfmiddlewaretoken"] = token.group(1)
    opener.open(
        urllib.request.Request(
            login_url,
            data=urllib.parse.urlencode(form).encode(),
            headers={"Referer": login_url},
        )
    )
    return "; ".join(f"{c.name}={c.value}" for c in jar)


class Counselor:
    """The demo counselor on the agent socket."""

    def __init__(self, ws):
        self.ws = ws

    def send(self, **frame) -> None:
        self.ws.send(json.dumps(frame))

    def receive(self, kind: str, when=lambda frame: True, timeout=10.0) -> dict:
        while True:
            frame = json.loads(self.ws.recv(timeout=timeout))
            if frame.get("type") == kind and when(frame):
                return frame

    def say(self, conversation: int, body=None, *, kind="text", payload=None) -> dict:
        frame = {"type": "send", "conversation": conversation, "kind": kind}
        frame["client_id"] = str(uuid.uuid4())
        if body is not None:
            frame["body"] = body
        if payload is not None:
            frame["payload"] = payload
        self.send(**frame)
        return self.receive("ack")


@contextmanager
def counselor_socket(
    base_url: str, username="counselor", password=PASSWORD
) -> Iterator[Counselor]:
    cookie = login_cookie(base_url, username, password)
    url = base_url.replace("http", "ws", 1) + "/ws/agent/"
    headers = {"Cookie": cookie, "Origin": base_url}
    with connect(url, additional_headers=headers) as ws:
        counselor = Counselor(ws)
        counselor.receive("hello")
        yield counselor


class Visitor:
    """A widget stand-in: one socket (read on a thread of its own), every frame it
    receives kept in order across reconnects."""

    def __init__(self, server: DemoServer):
        self.server = server
        self.frames: list[dict] = []
        self.token = None
        self.ws = None
        self.reader: threading.Thread | None = None

    def connect(self) -> Visitor:
        url = f"{self.server.ws_url}/ws/visitor/?site={self.server.site_key}&lang=ko"
        self.sockets = contextlib.ExitStack()
        self.ws = self.sockets.enter_context(
            connect(url, origin=self.server.url, proxy=None)
        )
        mark = len(self.frames)
        self.reader = threading.Thread(
            target=self._read, args=(self.ws,), name="e2e-visitor", daemon=True
        )
        self.reader.start()
        self.frame(type="resume", token=self.token)
        hello = self.wait_for(lambda f: f["type"] == "hello", start=mark)
        self.token = hello["visitor"]["token"]
        return self

    def _read(self, ws) -> None:
        try:
            for text in ws:
                self.frames.append(json.loads(text))
        except websockets.ConnectionClosed:
            pass

    def send(self, body: str) -> str:
        """Send a message and wait for its ack; returns its client id."""
        client_id = str(uuid.uuid4())
        self.frame(type="send", client_id=client_id, body=body)
        self.wait_for(lambda f: f["type"] == "ack" and f["client_id"] == client_id)
        return client_id

    def frame(self, **fields) -> None:
        self.ws.send(json.dumps(fields))

    def wait_for(
        self,
        predicate: Callable[[dict], bool],
        timeout: float = 10.0,
        *,
        start: int = 0,
        sleep: Callable[[float], object] = time.sleep,
    ) -> dict:
        """The first frame from `start` on that matches."""

        def match():
            return next((f for f in self.frames[start:] if predicate(f)), None)

        return wait_until(
            match,
            timeout,
            "a matching frame",
            sleep=sleep,
            describe=lambda _: repr(self.frames[-5:]),
        )

    def agent_messages(self) -> list[dict]:
        return [
            f["message"]
            for f in self.frames
            if f["type"] == "message" and f["message"]["sender"]["kind"] == "agent"
        ]

    @property
    def conversation_id(self) -> int:
        starts = [f for f in self.frames if f["type"] == "conversation"]
        return starts[-1]["conversation"]["id"]

    def close(self) -> None:
        if self.ws is not None:
            self.sockets.close()
        if self.reader is not None:
            self.reader.join(10)


# -- the console tests' server ---------------------------------------------------------

HEARTBEAT = 3  # short, so dead-socket and pong-resync tests finish in seconds
XSS = '<img src=x onerror="window.__xss=1"> and <b>bold</b>'


@contextmanager
def console_server(workdir: Path) -> Iterator[DemoServer]:
    """A demo server for a module of console tests (`fresh` before each test)."""
    env = {
        "CHAT_HEARTBEAT_SECONDS": str(HEARTBEAT),
        # A visitor is "away" only after this grace (page navigations reconnect).
        "CHAT_VISITOR_AWAY_GRACE_SECONDS": "1",
    }
    with demo_server(workdir, extra_env=env) as server:
        yield server


def fresh(server: DemoServer) -> DemoServer:
    """The server up (a failed restart test may have left it down), with no open
    chats and every counselor offline."""
    if not server.running:
        server.start()
    reset_chats(server)
    SHOTS.mkdir(exist_ok=True)
    return server
