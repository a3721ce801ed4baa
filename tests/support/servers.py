"""Real server processes for multi-process tests: daphne and a private redis-server.

Each process gets its own session (process group), so one `killpg` ends it together
with anything it spawned, and the Popen handle is the server itself, never a shell
(docs/stack-notes.md: `$!` after `cd x && cmd &` is the shell's id).
"""

from __future__ import annotations

import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import quote

import redis

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


def _stop(proc: subprocess.Popen, *, grace: float) -> None:
    if proc.poll() is None:
        _kill_group(proc, signal.SIGTERM)
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
    """One `daphne config.asgi:application` process on its own port."""

    def __init__(self, name: str, port: int, env: dict[str, str], log_dir: Path):
        self.name = name
        self.port = port
        self.log_path = log_dir / f"daphne-{name}-{port}.log"
        daphne = Path(sys.executable).with_name("daphne")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [str(daphne), "-b", HOST, "-p", str(port), "config.asgi:application"],
                cwd=REPO,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

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

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until GET /healthz answers 200 (the app is loaded and reaches the DB)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"daphne {self.name} exited with {self.proc.returncode}:\n"
                    + self.log_tail()
                )
            try:
                with urllib.request.urlopen(f"{self.http_url}/healthz", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"daphne {self.name} not ready after {timeout}s:\n" + self.log_tail()
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no disconnect frames, no final flush."""
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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"redis-server on {self.port} exited at start")
            try:
                with self.client() as client:
                    client.ping()
                return
            except redis.exceptions.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on {self.port} not answering")

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
