"""Browser-test fixtures: a real daphne server and Debian's chromium.

`chat_server` is one daphne process per test session on its own SQLite database and
the in-process channel layer (no Redis), with the demo site set up so that both
http://127.0.0.1:PORT and http://localhost:PORT are allowed origins: two origins of
one server, as a shop page and the counselor console are in production.

`browser` is chromium driven by Playwright; `screenshot` saves a page under
tests/e2e/screenshots/ (gitignored) for a human to look at.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import CHROMIUM, CHROMIUM_ARGS
from tests.support.servers import free_port as support_free_port

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
HOST = "127.0.0.1"


def _port_range() -> range:
    # E2E_PORTS="8101-8109": several people's runs on one machine use disjoint ranges.
    low, _, high = os.environ.get("E2E_PORTS", "8101-8109").partition("-")
    return range(int(low), int(high or low) + 1)


def free_port() -> int:
    return support_free_port(_port_range())


@dataclass(frozen=True)
class ChatServer:
    port: int
    site_key: str
    log_path: Path
    pid: int  # daphne itself (signal it to freeze or kill the server)
    db_path: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def alt_url(self) -> str:
        """The same server under another origin (localhost), also allowed."""
        return f"http://localhost:{self.port}"

    def log_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def _server_env(db_path: Path, extra: dict[str, str] | None) -> dict[str, str]:
    env = dict(os.environ)
    # The pytest process runs on the test settings (PostgreSQL, Redis); the server
    # must not inherit those.
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CHANNEL_PREFIX", "DEBUG"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        # IMMEDIATE: the message writer thread and the ORM thread both write; with
        # SQLite's default deferred transactions one of them fails at once with
        # "database is locked" instead of waiting. Redundant once the settings set
        # it for SQLite themselves.
        DATABASE_URL=f"sqlite:///{db_path}?transaction_mode=IMMEDIATE&timeout=20",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def _wait_until_up(proc: subprocess.Popen, url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"daphne exited early:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"daphne did not answer within 30 s:\n{log_path.read_text()}")


def _stop(proc: subprocess.Popen) -> None:
    for sig, grace in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)  # the server is its own process group leader
        except ProcessLookupError:
            return
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def run_chat_server(
    workdir: Path, *, extra_env: dict[str, str] | None = None
) -> Iterator[ChatServer]:
    """Migrate a fresh SQLite database, create the demo site and serve it."""
    port = free_port()
    db_path = workdir / f"livechat-e2e-{port}.sqlite3"
    env = _server_env(db_path, extra_env)
    _manage(env, "migrate", "--noinput")
    origins = f"http://{HOST}:{port} http://localhost:{port}"
    out = _manage(env, "demo_setup", "--origins", origins)
    match = re.search(r"key=(\S+)", out)
    assert match, f"demo_setup printed no site key:\n{out}"
    log_path = workdir / f"daphne-{port}.log"
    daphne = Path(sys.executable).with_name("daphne")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [str(daphne), "-b", HOST, "-p", str(port), "config.asgi:application"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        server = ChatServer(
            port=port,
            site_key=match.group(1),
            log_path=log_path,
            pid=proc.pid,
            db_path=db_path,
        )
        _wait_until_up(proc, server.url, log_path)
        yield server
    finally:
        _stop(proc)


@pytest.fixture(scope="session")
def chat_server(tmp_path_factory) -> Iterator[ChatServer]:
    with run_chat_server(tmp_path_factory.mktemp("e2e-server")) as server:
        yield server


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def screenshot():
    """`screenshot(page, "name")` saves tests/e2e/screenshots/name.png."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take


@pytest.fixture
def contexts(browser):
    """`new(**options)` -> a page in a browser context of its own, with the page's
    uncaught errors collected in `page.errors`."""
    made = []

    def new(**options):
        context = browser.new_context(**options)
        made.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(error))
        return page

    yield new
    for context in made:
        context.close()


def rows(server: ChatServer, sql: str, *params) -> list[tuple]:
    """Read the server's SQLite database directly."""
    import sqlite3

    with sqlite3.connect(server.db_path, timeout=10) as db:
        return db.execute(sql, params).fetchall()
