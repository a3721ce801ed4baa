"""Real server processes for browser and multi-process tests: the one daphne
launcher (`Daphne`), the demo server the browser tests use (`DemoServer`, daphne on
its own SQLite database with the demo site) and a private redis-server.

Each process gets its own session (process group), so one `killpg` ends it together
with anything it spawned, and the Popen handle is the server itself, never a shell
(docs/stack-notes.md: `$!` after `cd x && cmd &` is the shell's id).
"""

from __future__ import annotations

import itertools
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

import redis

from tests.support.waiting import wait_until

REPO = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
DAPHNE_PORTS = range(8121, 8140)
REDIS_PORTS = range(6390, 6393)

_daphne_ports = itertools.cycle(DAPHNE_PORTS)


def port_free(port: int) -> bool:
    # SO_REUSEADDR like the servers themselves, so a port in TIME_WAIT counts as free.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
        return True


def free_port(ports: range) -> int:
    for port in ports:
        if port_free(port):
            return port
    raise RuntimeError(f"no free port in {ports}")


# Debian's chromium as Playwright must launch it here (DEVELOPERS.md).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def next_daphne_port() -> int:
    for _ in DAPHNE_PORTS:
        port = next(_daphne_ports)
        if port_free(port):
            return port
    raise RuntimeError(f"no free daphne port in {DAPHNE_PORTS}")


def database_url(settings_dict: dict) -> str:
    """The URL of the database the test runs on (pytest-django's test_ name)."""
    user = quote(settings_dict.get("USER") or "", safe="")
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{quote(password, safe='')}" if password else user
    host = settings_dict.get("HOST") or HOST
    port = settings_dict.get("PORT") or "5432"
    return f"postgres://{auth}@{host}:{port}/{quote(settings_dict['NAME'], safe='')}"


def _kill_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _stop(proc: subprocess.Popen, *, grace: float, sig: int = signal.SIGTERM) -> None:
    """`sig`, then SIGKILL after `grace` seconds."""
    if proc.poll() is None:
        _kill_group(proc, sig)
        try:
            proc.wait(grace)
            return
        except subprocess.TimeoutExpired:
            pass
    _kill_group(proc, signal.SIGKILL)
    proc.wait(10)


def _tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class Daphne:
    """One `daphne config.asgi:application` process on its own port, started at
    once; `stop()` and `start()` restart it on the same port and log."""

    def __init__(self, name: str, port: int, env: dict[str, str], log_dir: Path):
        self.name = name
        self.port = port
        self.env = env
        self.log_path = log_dir / f"daphne-{name}-{port}.log"
        self.proc: subprocess.Popen | None = None
        self.start()

    def start(self) -> None:
        daphne = Path(sys.executable).with_name("daphne")
        command = [str(daphne), "-b", HOST, "-p", str(self.port)]
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [*command, "config.asgi:application"],
                cwd=REPO,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        """daphne itself (signal it to freeze the server)."""
        assert self.proc is not None
        return self.proc.pid

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def http_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def log_tail(self, lines: int = 40) -> str:
        return _tail(self.log_path, lines)

    def _healthy(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(
                f"daphne {self.name} exited with {self.proc.returncode}:\n"
                + self.log_tail()
            )
        try:
            with urllib.request.urlopen(f"{self.http_url}/healthz", timeout=2) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until GET /healthz answers 200 (the app is loaded and reaches the DB)."""
        try:
            wait_until(self._healthy, timeout, f"daphne {self.name} to answer /healthz")
        except AssertionError as exc:
            raise RuntimeError(f"{exc}:\n{self.log_tail()}") from None

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM, then SIGKILL after `grace` seconds."""
        if self.proc is not None:
            _stop(self.proc, grace=grace)

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no disconnect frames, no final flush."""
        if self.proc is not None:
            _kill_group(self.proc, signal.SIGKILL)
            self.proc.wait(10)


class RedisServer:
    """A private redis-server (no persistence) that tests may crash and restart."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        self.port = next((p for p in REDIS_PORTS if port_free(p)), None)
        if self.port is None:
            raise RuntimeError(f"no free redis port in {REDIS_PORTS}")
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host=HOST, port=self.port, socket_timeout=2)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        with open(self.workdir / f"redis-{self.port}.log", "ab") as log:
            self.proc = subprocess.Popen(
                [
                    "redis-server",
                    "--port", str(self.port),
                    "--bind", HOST,
                    "--save", "",
                    "--appendonly", "no",
                    "--dir", str(self.workdir),
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        wait_until(self._answers, timeout, f"redis-server on {self.port} to answer")

    def _answers(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise RuntimeError(f"redis-server on {self.port} exited at start")
        try:
            with self.client() as client:
                return bool(client.ping())
        except redis.exceptions.RedisError:
            return False

    def ensure_running(self) -> None:
        if not self.running():
            self.start()

    def crash(self) -> None:
        """SIGKILL, like a crashed or OOM-killed Redis: clients see the socket drop."""
        if self.proc is not None:
            _kill_group(self.proc, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None:
            _stop(self.proc, grace=5)

    def subscribers(self, channel: str) -> int:
        with self.client() as client:
            return dict(client.pubsub_numsub(channel)).get(channel.encode(), 0)


# -- the demo server of the browser tests ------------------------------------------


def e2e_ports() -> range:
    # E2E_PORTS="8101-8109": several people's runs on one machine use disjoint ranges.
    low, _, high = os.environ.get("E2E_PORTS", "8101-8109").partition("-")
    return range(int(low), int(high or low) + 1)


def demo_env(db_path: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a demo server: the development settings on its own SQLite
    database and the in-process channel layer, unless `extra` says otherwise."""
    env = dict(os.environ)
    # The pytest process runs on the test settings (PostgreSQL, Redis); the server
    # must not inherit those.
    for name in ("REDIS_URL", "CELERY_BROKER_URL", "CHANNEL_PREFIX", "DEBUG"):
        env.pop(name, None)
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        # IMMEDIATE: the message writer thread and the ORM thread both write; with
        # SQLite's default deferred transactions one of them fails at once with
        # "database is locked" instead of waiting (the settings set it too).
        DATABASE_URL=f"sqlite:///{db_path}?transaction_mode=IMMEDIATE&timeout=20",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


class DemoServer:
    """daphne serving `demo_setup`'s site on a fresh SQLite database, with both
    http://127.0.0.1:PORT and http://localhost:PORT allowed origins: two origins of
    one server, as a shop page and the counselor console are in production."""

    def __init__(self, workdir: Path, *, extra_env: dict[str, str] | None = None):
        self.workdir = workdir
        self.port = free_port(e2e_ports())
        self.db_path = workdir / f"livechat-e2e-{self.port}.sqlite3"
        self.env = demo_env(self.db_path, extra_env)
        self.site_key = ""
        self.daphne: Daphne | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def alt_url(self) -> str:
        """The same server under another origin (localhost), also allowed."""
        return f"http://localhost:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"daphne-demo-{self.port}.log"

    @property
    def pid(self) -> int:
        """daphne itself (signal it to freeze or kill the server)."""
        assert self.daphne is not None
        return self.daphne.pid

    @property
    def running(self) -> bool:
        return self.daphne is not None and self.daphne.running

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log_path, lines)

    def manage(self, *args: str, timeout: float = 120) -> str:
        """`manage.py ARGS` on the server's settings and database; its stdout."""
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=REPO,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        """Run ORM code against the server's database (its own settings and env)."""
        return self.manage("shell", "-c", code, timeout=60)

    def setup(self) -> None:
        """Migrate the fresh database and create the demo site."""
        self.db_path.unlink(missing_ok=True)
        self.manage("migrate", "--noinput", "-v0")
        out = self.manage("demo_setup", "--origins", f"{self.url} {self.alt_url}")
        match = re.search(r"key=(\S+)", out)
        assert match, f"demo_setup printed no site key:\n{out}"
        self.site_key = match.group(1)

    def start(self, timeout: float = 30.0) -> None:
        self.daphne = Daphne("demo", self.port, self.env, self.workdir)
        try:
            self.daphne.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        if self.daphne is not None:
            self.daphne.stop()

    def rows(self, sql: str, *params) -> list[tuple]:
        """Read the server's SQLite database directly."""
        import sqlite3

        with sqlite3.connect(self.db_path, timeout=10) as db:
            return db.execute(sql, params).fetchall()


@contextmanager
def demo_server(
    workdir: Path, *, extra_env: dict[str, str] | None = None
) -> Iterator[DemoServer]:
    """A migrated demo server, up until the block ends."""
    server = DemoServer(workdir, extra_env=extra_env)
    server.setup()
    server.start()
    try:
        yield server
    finally:
        server.stop()
