"""Pieces of the console's browser tests: a daphne server with its own SQLite
database, a visitor played over a real WebSocket, and a logged-in console page."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import websockets
from playwright.async_api import async_playwright, expect

from tests.support.servers import CHROMIUM_ARGS
from tests.support.servers import free_port as support_free_port

ROOT = Path(__file__).resolve().parents[2]
SHOTS = Path(__file__).resolve().parent / "screenshots"
PORTS = range(8112, 8120)  # 8111-8119 are this module's; 8111 is left for a dev server
HEARTBEAT = 3  # short, so dead-socket and pong-resync tests finish in seconds
XSS = '<img src=x onerror="window.__xss=1"> and <b>bold</b>'


def free_port() -> int:
    try:
        return support_free_port(PORTS)
    except RuntimeError:
        pytest.skip("no free port in 8112-8119")


class Server:
    """A daphne process with its own SQLite database and the in-process layer."""

    def __init__(self, port: int):
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.db = Path(f"/tmp/e2e_console_{port}_{os.getpid()}.sqlite3")
        self.log_path = Path(f"/tmp/e2e_console_{port}.log")
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"REDIS_URL", "CELERY_BROKER_URL"}
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="config.settings.local",
            DATABASE_URL=f"sqlite:///{self.db}",
            CHAT_HEARTBEAT_SECONDS=str(HEARTBEAT),
            # A visitor is "away" only after this grace (page navigations reconnect).
            CHAT_VISITOR_AWAY_GRACE_SECONDS="1",
            PYTHONUNBUFFERED="1",
        )
        self.key = ""
        self.proc = None

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    def setup(self) -> None:
        self.db.unlink(missing_ok=True)
        self.manage("migrate", "--noinput", "-v0")
        out = self.manage(
            "demo_setup",
            "--origins",
            f"http://127.0.0.1:{self.port} http://localhost:{self.port}",
        )
        self.key = re.search(r"key=(\S+)", out).group(1)

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.proc = subprocess.Popen(
                [
                    str(Path(sys.executable).parent / "daphne"),
                    "-b",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                    "config.asgi:application",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"{self.base}/healthz", timeout=1
                ) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"daphne did not start; see {self.log_path}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=10)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def reset_chats(self) -> None:
        """Close every open conversation and set every counselor offline, so each
        test starts with an empty console and routing can only pick the counselors
        whose console the test opened (a colleague left online by an earlier test
        would otherwise win the "longest idle" tie-break)."""
        self.manage(
            "shell",
            "-c",
            "from chat.models import Conversation as C, CounselorProfile as P; "
            "C.objects.exclude(status='closed').update(status='closed'); "
            "P.objects.update(status='offline')",
        )


class Visitor:
    """A widget stand-in: one socket, every frame it receives kept in order."""

    def __init__(self, server: Server):
        self.server = server
        self.frames: list[dict] = []
        self.token = None
        self.ws = None
        self.reader = None

    async def connect(self):
        url = f"ws://127.0.0.1:{self.server.port}/ws/visitor/?site={self.server.key}&lang=ko"
        self.ws = await websockets.connect(url, origin=self.server.base)
        self.reader = asyncio.create_task(self._read())
        await self.ws.send(json.dumps({"type": "resume", "token": self.token}))
        hello = await self.wait_for(lambda f: f["type"] == "hello")
        self.token = hello["visitor"]["token"]
        return self

    async def _read(self):
        try:
            async for text in self.ws:
                self.frames.append(json.loads(text))
        except websockets.ConnectionClosed:
            pass

    async def send(self, body: str) -> str:
        client_id = str(uuid.uuid4())
        await self.ws.send(
            json.dumps({"type": "send", "client_id": client_id, "body": body})
        )
        await self.wait_for(
            lambda f: f["type"] == "ack" and f["client_id"] == client_id
        )
        return client_id

    async def frame(self, **fields):
        await self.ws.send(json.dumps(fields))

    async def wait_for(self, predicate, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        seen = 0
        while time.monotonic() < deadline:
            for frame in self.frames[seen:]:
                if predicate(frame):
                    return frame
            seen = len(self.frames)
            await asyncio.sleep(0.05)
        raise AssertionError(f"no matching frame; got {self.frames[-5:]}")

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

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await self.reader


@asynccontextmanager
async def console(server: Server, route=None, username="counselor", login_shot=None):
    """A logged-in console page at 1366x768; `route` may sit on its socket."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
        )
        try:
            context = await browser.new_context(viewport={"width": 1366, "height": 768})
            page = await context.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(f"{exc}\n{exc.stack}"))
            if route is not None:
                await page.route_web_socket("**/ws/agent/", route)
            await page.goto(f"{server.base}/console/")
            await expect(page).to_have_url(re.compile(r"/console/login/"))
            await page.fill("input[name=username]", username)
            await page.fill("input[name=password]", "demo-pass-1234")
            if login_shot:
                await page.screenshot(path=SHOTS / login_shot)
            await page.click("button[type=submit]")
            await expect(page.locator("[data-region=connection]")).to_have_attribute(
                "data-state", "open"
            )
            await expect(page.locator("[data-action=status]")).to_have_value("online")
            try:
                yield page
            except BaseException:
                with contextlib.suppress(Exception):
                    await page.screenshot(path=SHOTS / "failure.png")
                raise
            assert errors == [], errors
        finally:
            await browser.close()


def own_loop(test):
    """Run an async test on a fresh event loop in its own thread.

    Other browser tests keep a sync Playwright alive for the whole session, and it
    leaves the main thread's loop marked as running, so pytest-asyncio could not
    start another one there."""

    @functools.wraps(test)
    def run(*args, **kwargs):
        outcome: dict = {}

        def target():
            try:
                asyncio.run(test(*args, **kwargs))
            except BaseException as exc:  # handed to the test's thread below
                outcome["error"] = exc

        thread = threading.Thread(target=target, name=f"e2e-{test.__name__}")
        thread.start()
        thread.join()
        if "error" in outcome:
            raise outcome["error"]

    return run


def chat_item(page, name: str):
    return page.locator(".chat-item", has_text=name)


def running_server():
    """Body of a module-scoped `server` fixture: one daphne for the module's tests."""
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    srv = Server(free_port())
    srv.log_path.write_text("")
    srv.setup()
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        srv.db.unlink(missing_ok=True)


def fresh(server: Server) -> Server:
    """Body of the per-test `live` fixture: the server up, with no open chats."""
    if server.proc is None:  # a failed restart test left it down
        server.start()
    server.reset_chats()
    SHOTS.mkdir(exist_ok=True)
    return server
