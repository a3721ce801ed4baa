"""Processes of the leads benchmark: the daphne server under test (pinned, with the
garbage-collector log of bench/gclog), the pinned load client, and the manager's
login through /console/login/."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
from pathlib import Path
from urllib.parse import urlencode

from bench.procstat import TICK, pids_named
from bench.targets import PYTHON, ROOT, VENV_BIN, raise_nofile, wait_port


class Server:
    """One daphne process running config.asgi:application."""

    def __init__(self, env: dict, port: int, cpus: str, rundir: Path) -> None:
        self.port = port
        self.cpus = cpus
        self.log_path = rundir / "server.log"
        path = f"{ROOT / 'bench' / 'gclog'}{os.pathsep}{ROOT}"
        self.env = {**os.environ, **env, "PYTHONPATH": path, "BENCH_GC_LOG": "1"}
        self.proc: subprocess.Popen | None = None

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self) -> None:
        cmd = [
            "taskset",
            "-c",
            self.cpus,
            str(VENV_BIN / "daphne"),
            "-e",
            f"tcp:port={self.port}:interface=127.0.0.1:backlog=1024",
            "-v",
            "0",
            "config.asgi:application",
        ]
        with open(self.log_path, "ab") as log:
            # Own session: a Ctrl-C in the terminal reaches the orchestrator only,
            # which then stops the server in its `finally`.
            self.proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=raise_nofile,
                start_new_session=True,
            )
        wait_port(self.port, self.proc)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_mark(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def gc_pauses_since(self, mark: int) -> list[float]:
        with open(self.log_path, "rb") as f:
            f.seek(mark)
            lines = f.read().decode(errors="replace").splitlines()
        return [
            float(line.split(" ms")[0].split()[-1])
            for line in lines
            if line.startswith("gc pause")
        ]

    def log_summary(self) -> dict:
        text = (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )
        lines = text.splitlines()
        return {
            "tracebacks": sum(line.startswith("Traceback") for line in lines),
            "warnings": sum("Warning" in line for line in lines),
            "gc_pauses_over_5ms": sum(line.startswith("gc pause") for line in lines),
            "path": str(self.log_path),
        }


def _stat(pid: int) -> list[str]:
    text = Path(f"/proc/{pid}/stat").read_text()
    return text[text.rindex(")") + 2 :].split()


class PgMeter:
    """CPU of all PostgreSQL processes and the sessions opened in one database
    between start() and stop(). Backends that start and end within the window
    (one per connection) are counted through the postmaster's reaped-children
    time; backends alive throughout, by their own time."""

    def __init__(self, dsn: str, database: str) -> None:
        import psycopg

        self.conn = psycopg.connect(dsn, autocommit=True)
        self.database = database

    def _snapshot(self) -> tuple[dict, float, int]:
        cpu, reaped = {}, 0.0
        for pid in pids_named("postgres"):
            try:
                fields = _stat(pid)
                parent = Path(f"/proc/{fields[1]}/comm").read_text().strip()
            except OSError:
                continue
            cpu[pid] = (int(fields[11]) + int(fields[12])) / TICK
            if parent != "postgres":  # the postmaster: time of reaped backends
                reaped = (int(fields[13]) + int(fields[14])) / TICK
        sessions = self.conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = %s",
            [self.database],
        ).fetchone()[0]
        return cpu, reaped, sessions

    def start(self) -> None:
        self.before = self._snapshot()

    def stop(self) -> dict:
        cpu0, reaped0, sessions0 = self.before
        cpu1, reaped1, sessions1 = self._snapshot()
        used = sum(c - cpu0.get(pid, 0.0) for pid, c in cpu1.items())
        used += reaped1 - reaped0 - sum(c for p, c in cpu0.items() if p not in cpu1)
        return {"cpu_s": max(0.0, used), "sessions": sessions1 - sessions0}

    def close(self) -> None:
        self.conn.close()


class Client:
    """bench/leads_client.py on its own core, one JSON line per command."""

    def __init__(self, cpu: str, rundir: Path) -> None:
        self.log = open(rundir / "client.log", "ab")
        self.proc = subprocess.Popen(
            ["taskset", "-c", cpu, PYTHON, "-m", "bench.leads_client"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def call(self, cmd: dict) -> dict:
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("the load client exited; see client.log")
        result = json.loads(line)
        if "fatal" in result:
            raise RuntimeError(f"load client: {result['fatal']}")
        return result

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write(json.dumps({"cmd": "quit"}) + "\n")
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _cookies(resp: http.client.HTTPResponse) -> dict:
    jar = {}
    for header in resp.msg.get_all("Set-Cookie") or []:
        name, _, rest = header.partition("=")
        jar[name.strip()] = rest.split(";", 1)[0]
    return jar


def login(port: int, username: str, password: str) -> dict:
    """Log in through the console's login form; returns the session and CSRF
    cookies (send X-CSRFToken with the csrftoken value on unsafe methods)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/console/login/")
    resp = conn.getresponse()
    page = resp.read().decode()
    jar = _cookies(resp)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    if resp.status != 200 or not match:
        raise RuntimeError(f"login page: {resp.status}")
    form = urlencode(
        {
            "username": username,
            "password": password,
            "csrfmiddlewaretoken": match.group(1),
        }
    )
    conn.request(
        "POST",
        "/console/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={jar.get('csrftoken', '')}",
        },
    )
    resp = conn.getresponse()
    resp.read()
    jar.update(_cookies(resp))
    conn.close()
    if resp.status != 302 or "sessionid" not in jar:
        raise RuntimeError(f"login failed: {resp.status} {sorted(jar)}")
    return jar
