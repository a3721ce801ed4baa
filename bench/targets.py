"""The three servers under test: how to prepare their data, start, stop and reach them.

Each target yields the connection specs the load generator needs (port, path, headers,
resume frame, and the counselor each visitor is paired with). Counselor k lives on
server process k % P and each visitor connects to the *next* process after its
counselor's, so with two processes every message crosses processes.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")
VISITOR_ORIGIN = "http://bench.example"
PG_BASE = "postgres://postgres@127.0.0.1:5432"


def raise_nofile() -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not open within {timeout} s")


class Target:
    name = ""
    label = ""
    # Warm-up sends in flight (setup only, not measured).
    warm_concurrency = 10

    def __init__(self, *, ports: list[int], cpus: str, rundir: Path, env: dict) -> None:
        self.ports = ports
        self.cpus = cpus
        self.rundir = rundir
        # bench/gclog's sitecustomize logs garbage-collector pauses of the servers.
        path = f"{ROOT / 'bench' / 'gclog'}{os.pathsep}{ROOT}"
        self.env = {**os.environ, "PYTHONPATH": path, **env}
        self.procs: list[subprocess.Popen] = []

    # to override
    def prepare(self, visitors: int, counselors: int) -> None:
        pass

    def command(self, port: int) -> list[str]:
        raise NotImplementedError

    def agent_spec(self, k: int, port: int) -> dict:
        raise NotImplementedError

    def visitor_spec(self, i: int, k: int, port: int) -> dict:
        raise NotImplementedError

    # shared
    def start(self) -> None:
        for port in self.ports:
            log = open(self.rundir / f"{self.name}-{port}.log", "wb")
            cmd = ["taskset", "-c", self.cpus, *self.command(port)]
            proc = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env={**self.env, "BENCH_GC_LOG": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                preexec_fn=raise_nofile,
            )
            self.procs.append(proc)
        for port, proc in zip(self.ports, self.procs, strict=True):
            wait_port(port, proc)

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self.procs = []

    def log_paths(self) -> list[Path]:
        return [self.rundir / f"{self.name}-{port}.log" for port in self.ports]

    def log_marks(self) -> list[int]:
        return [p.stat().st_size if p.exists() else 0 for p in self.log_paths()]

    def gc_pauses_since(self, marks: list[int]) -> list[float]:
        """Garbage-collector pauses (ms) the servers logged since `marks`."""
        pauses = []
        for path, mark in zip(self.log_paths(), marks, strict=True):
            with open(path, "rb") as f:
                f.seek(mark)
                for line in f.read().decode(errors="replace").splitlines():
                    if line.startswith("gc pause"):
                        pauses.append(float(line.split(" ms")[0].split()[-1]))
        return pauses

    def log_summary(self) -> dict:
        """Counts of notable lines in the server logs (errors, dropped messages)."""
        counts = {"tracebacks": 0, "over_capacity": 0, "gc_pauses_over_5ms": 0}
        longest = 0.0
        for port in self.ports:
            path = self.rundir / f"{self.name}-{port}.log"
            if not path.exists():
                continue
            for line in path.read_text(errors="replace").splitlines():
                if line.startswith("Traceback"):
                    counts["tracebacks"] += 1
                elif "over capacity" in line:
                    counts["over_capacity"] += 1
                elif line.startswith("gc pause"):
                    counts["gc_pauses_over_5ms"] += 1
                    longest = max(longest, float(line.split(" ms")[0].split()[-1]))
        counts["longest_gc_pause_ms"] = longest
        return counts

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.procs]

    def gc_freeze(self) -> None:
        for proc in self.procs:
            proc.send_signal(signal.SIGUSR1)

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.procs)

    def population(self, visitors: int, counselors: int) -> tuple[list, list]:
        n = len(self.ports)
        agents = [self.agent_spec(k, self.ports[k % n]) for k in range(counselors)]
        people = []
        for i in range(visitors):
            k = i % counselors
            port = self.ports[(k % n + 1) % n]
            people.append(self.visitor_spec(i, k, port))
        return agents, people


class Ours(Target):
    """config.asgi:application under daphne, PostgreSQL, channels-redis pub/sub."""

    name = "ours"
    label = "ours (daphne x{n}, PostgreSQL, Redis pub/sub)"

    def prepare(self, visitors: int, counselors: int) -> None:
        subprocess.run(
            [PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=self.env, check=True
        )
        out = subprocess.run(
            [
                PYTHON,
                "bench/setup_ours.py",
                "--visitors",
                str(visitors),
                "--counselors",
                str(counselors),
                "--origin",
                VISITOR_ORIGIN,
            ],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        self.data = json.loads(out.stdout)

    def command(self, port: int) -> list[str]:
        return [
            str(VENV_BIN / "daphne"),
            "-e",
            f"tcp:port={port}:interface=127.0.0.1:backlog=4096",
            "-v",
            "0",
            "config.asgi:application",
        ]

    def agent_spec(self, k: int, port: int) -> dict:
        cookie = f"{self.data['session_cookie']}={self.data['sessions'][k]}"
        return {
            "port": port,
            "path": "/ws/agent/",
            "headers": {"Origin": f"http://127.0.0.1:{port}", "Cookie": cookie},
        }

    def visitor_spec(self, i: int, k: int, port: int) -> dict:
        return {
            "port": port,
            "path": f"/ws/visitor/?site={self.data['site_key']}",
            "headers": {"Origin": VISITOR_ORIGIN},
            "resume": json.dumps({"type": "resume", "token": self.data["tokens"][i]}),
            "agent": k,
        }


class Baseline(Target):
    def agent_spec(self, k: int, port: int) -> dict:
        return {
            "port": port,
            "path": f"/ws/agent/?a={k}",
            "headers": {"Origin": f"http://127.0.0.1:{port}"},
        }

    def visitor_spec(self, i: int, k: int, port: int) -> dict:
        return {
            "port": port,
            "path": f"/ws/visitor/?v={i}&a={k}",
            "headers": {"Origin": VISITOR_ORIGIN},
            "resume": json.dumps({"type": "resume", "token": None}),
            "agent": k,
        }


class Bare(Baseline):
    name = "bare"
    label = "bare websockets relay (x{n}, no persistence)"

    def command(self, port: int) -> list[str]:
        return [PYTHON, "bench/baselines/bare_relay.py", "--port", str(port)]


class Tutorial(Baseline):
    name = "tutorial"
    label = "tutorial Channels (daphne x{n}, RedisChannelLayer, ORM create)"
    # More in flight overflows the layer's per-process queue (capacity 100) and
    # it drops warm-up messages.
    warm_concurrency = 2

    def prepare(self, visitors: int, counselors: int) -> None:
        subprocess.run(
            [PYTHON, "-m", "django", "migrate", "--run-syncdb", "-v0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        subprocess.run(
            [
                PYTHON,
                "-c",
                "import django; django.setup(); from django.db import connection; "
                "connection.cursor().execute('TRUNCATE bench_tutorial_message')",
            ],
            cwd=ROOT,
            env=self.env,
            check=True,
        )

    def stop(self) -> None:
        super().stop()
        # RedisChannelLayer keeps group memberships as keys for a day; remove ours
        # (only keys under this run's prefix: the Redis is shared).
        import redis

        client = redis.Redis.from_url(self.env["REDIS_URL"])
        keys = list(
            client.scan_iter(match=self.env["CHANNEL_PREFIX"] + "*", count=1000)
        )
        for start in range(0, len(keys), 500):
            client.delete(*keys[start : start + 500])
        client.close()

    def command(self, port: int) -> list[str]:
        return [
            str(VENV_BIN / "daphne"),
            "-e",
            f"tcp:port={port}:interface=127.0.0.1:backlog=4096",
            "-v",
            "0",
            "bench.baselines.tutorial_channels.asgi:application",
        ]


def make_targets(names: list[str], *, args, rundir: Path) -> list[Target]:
    database = f"{PG_BASE}/{args.database}"
    redis = args.redis_url
    tag = os.getpid()
    common = {"DATABASE_URL": database, "REDIS_URL": redis}
    made = []
    for name in names:
        if name == "ours":
            env = {
                **common,
                "DJANGO_SETTINGS_MODULE": "config.settings.base",
                "CHANNEL_PREFIX": f"lcbench{tag}",
                "SECRET_KEY": "bench-secret-not-for-production-0123456789",
                "DEBUG": "0",
                "LOG_LEVEL": "WARNING",
                # Per-socket limits are lifted so the offered rate, not the flood
                # guard, is what is measured (docs/benchmarks.md).
                "CHAT_VISITOR_MESSAGES_PER_S": str(args.visitor_limit),
                "CHAT_VISITOR_FRAMES_PER_S": str(args.visitor_limit),
            }
            made.append(
                Ours(
                    ports=[8141, 8142][: args.procs],
                    cpus=args.server_cpus,
                    rundir=rundir,
                    env=env,
                )
            )
        elif name == "bare":
            made.append(
                Bare(ports=[8151], cpus=args.server_cpus, rundir=rundir, env={})
            )
        elif name == "tutorial":
            env = {
                **common,
                "DJANGO_SETTINGS_MODULE": "bench.baselines.tutorial_channels.settings",
                "CHANNEL_PREFIX": f"benchtut{tag}",
                "BENCH_TUTORIAL_CONN_MAX_AGE": str(args.tutorial_conn_max_age),
            }
            made.append(
                Tutorial(
                    ports=[8161, 8162][: args.procs],
                    cpus=args.server_cpus,
                    rundir=rundir,
                    env=env,
                )
            )
        else:
            sys.exit(f"unknown target {name}")
    return made
