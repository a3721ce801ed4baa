"""Reconnect-storm benchmark: a server process dies under N connected visitors.

For each N and each server (ours: daphne x2 on PostgreSQL and Redis with the
production settings; bare: the bare websockets relay x2, the ceiling): connect N
visitors, each with an open conversation, to process A; then

- kill: SIGKILL A; every visitor reconnects to the survivor B;
- restart: SIGKILL A and start it again on the same port; everyone comes back to A;

with the widget's own backoff, jitter, hello timeout and retry-hint rules
(bench/storm_client.py). A visitor is back when the `history` answering its `sync`
arrives. A few counselors connect to the process that takes the storm during it.
Reported: time until all are back (p50, p95, max), failed attempts by kind and the
visitors affected, the counselors' time to `hello`, CPU of the server process and of
PostgreSQL during the storm, and "took too long to shut down" lines of daphne.

    .venv/bin/python bench/storm.py                       # 1,000 3,000 5,000 visitors
    .venv/bin/python bench/storm.py --visitors 1000 --scenarios kill --quick

Results and method: docs/benchmarks.md ("Reconnect storm").
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.procstat import cpu_seconds, pids_named  # noqa: E402
from bench.relay import ensure_database  # noqa: E402
from bench.targets import (  # noqa: E402
    PG_BASE,
    PYTHON,
    ROOT,
    Bare,
    Ours,
    Target,
    raise_nofile,
    wait_port,
)


def make(name: str, args, rundir: Path) -> Target:
    if name == "bare":
        return Bare(ports=[8151, 8152], cpus=args.server_cpus, rundir=rundir, env={})
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DATABASE_URL": f"{PG_BASE}/{args.database}",
        "REDIS_URL": args.redis_url,
        "CHANNEL_PREFIX": f"lcstorm{os.getpid()}",
        "SECRET_KEY": "bench-secret-not-for-production-0123456789",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    if args.resume_limit:
        env["CHAT_VISITOR_RESUME_LIMIT"] = str(args.resume_limit)
    env.update(item.split("=", 1) for item in args.env)
    return Ours(ports=[8141, 8142], cpus=args.server_cpus, rundir=rundir, env=env)


def restart_one(target: Target, index: int) -> None:
    """Start process `index` of the target again on its port (after a SIGKILL)."""
    port = target.ports[index]
    log = open(target.rundir / f"{target.name}-{port}.log", "ab")
    proc = subprocess.Popen(
        ["taskset", "-c", target.cpus, *target.command(port)],
        cwd=ROOT,
        env=target.env,
        stdout=log,
        stderr=subprocess.STDOUT,
        preexec_fn=raise_nofile,
    )
    target.procs[index] = proc
    wait_port(port, proc)


def postgres_cpu() -> float:
    return sum(cpu_seconds(pid) for pid in pids_named("postgres"))


def shutdown_kills(target: Target) -> int:
    count = 0
    for path in target.log_paths():
        if path.exists():
            count += path.read_text(errors="replace").count(
                "took too long to shut down"
            )
    return count


def run_one(name: str, scenario: str, visitors: int, args, rundir: Path) -> dict:
    target = make(name, args, rundir)
    target.prepare(visitors, args.counselors)
    target.start()
    a, b = target.ports
    spec = {
        "visitors": [
            target.visitor_spec(i, i % args.counselors, a) for i in range(visitors)
        ],
        "agents": [target.agent_spec(k, b) for k in range(args.counselors)],
        "port": a,
        "storm_port": b if scenario == "kill" else a,
        "timeout": args.timeout,
        "connect_spread": max(2.0, visitors / 1000),
    }
    client = subprocess.Popen(
        ["taskset", "-c", args.loadgen_cpu, PYTHON, "bench/storm_client.py"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=raise_nofile,
    )
    try:
        client.stdin.write(json.dumps(spec) + "\n")
        client.stdin.flush()
        connected = json.loads(client.stdout.readline())["connected"]
        time.sleep(args.settle)
        survivor = target.procs[1] if scenario == "kill" else None
        cpu_before = cpu_seconds(survivor.pid) if survivor else 0.0
        pg_before = postgres_cpu()
        kills_before = shutdown_kills(target)
        client_cpu_before = cpu_seconds(client.pid)
        started = time.monotonic()
        target.procs[0].send_signal(signal.SIGKILL)
        target.procs[0].wait()
        client.stdin.write("storm\n")
        client.stdin.flush()
        if scenario == "restart":
            restart_one(target, 0)
            survivor = target.procs[0]
            cpu_before = 0.0  # a new process: all of its CPU is the storm's
        line = client.stdout.readline()
        if not line:
            raise RuntimeError(f"the storm client died (exit {client.wait()})")
        storm = json.loads(line)["storm"]
        wall = time.monotonic() - started
        storm["server_cpu_s"] = round(cpu_seconds(survivor.pid) - cpu_before, 2)
        storm["postgres_cpu_s"] = round(postgres_cpu() - pg_before, 2)
        storm["loadgen_cpu_share"] = round(
            (cpu_seconds(client.pid) - client_cpu_before) / max(wall, 1e-3), 2
        )
        storm["server_cpu_ms_per_visitor"] = round(
            1000 * storm["server_cpu_s"] / visitors, 2
        )
        storm["shutdown_kills"] = shutdown_kills(target) - kills_before
        return {"connect": connected, "storm": storm}
    finally:
        client.kill()
        client.wait()
        target.stop()


def show(result: dict) -> str:
    s = result["storm"]
    failed = ", ".join(f"{k}: {v}" for k, v in sorted(s["failed"].items())) or "none"
    agents = s["counselor_hello_s"]
    return (
        f"   all back {s['all_back_s']} s (p50 {s['p50_s']}, p95 {s['p95_s']}); "
        f"attempts {s['attempts']}; failed: {failed} "
        f"({s['visitors_with_failures']} visitors); counselors' hello at {agents} s; "
        f"server CPU {s['server_cpu_s']} s ({s['server_cpu_ms_per_visitor']} ms per "
        f"visitor), PostgreSQL CPU {s['postgres_cpu_s']} s; load generator "
        f"{s['loadgen_cpu_share']} of a core; 'took too long to shut down': "
        f"{s['shutdown_kills']}"
    )


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--visitors", default="1000,3000,5000")
    p.add_argument("--targets", default="ours,bare")
    p.add_argument("--scenarios", default="kill,restart")
    p.add_argument("--counselors", type=int, default=5)
    p.add_argument("--resume-limit", type=int, help="CHAT_VISITOR_RESUME_LIMIT")
    p.add_argument("--timeout", type=float, default=900, help="per storm, s")
    p.add_argument("--settle", type=float, default=2.0)
    p.add_argument("--server-cpus", default="0")
    p.add_argument("--loadgen-cpu", default="1")
    p.add_argument("--database", default="livechat_bench")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    p.add_argument(
        "--env", action="append", default=[], help="KEY=VALUE for our servers"
    )
    p.add_argument("--json", type=Path)
    return p.parse_args()


def main() -> None:
    args = parse_args()
    raise_nofile()
    ensure_database(args.database)
    rundir = Path(tempfile.mkdtemp(prefix="bench-storm-"))
    results = []
    for visitors in [int(v) for v in args.visitors.split(",")]:
        for scenario in args.scenarios.split(","):
            for name in args.targets.split(","):
                print(f"\n== {name}, {visitors} visitors, {scenario}", flush=True)
                result = run_one(name, scenario, visitors, args, rundir)
                c = result["connect"]
                print(
                    f"   connected in {c['all_back_s']} s "
                    f"({c['attempts']} attempts, failed: {c['failed'] or 'none'})",
                    flush=True,
                )
                print(show(result), flush=True)
                results.append(
                    {"target": name, "visitors": visitors, "scenario": scenario}
                    | result
                )
    path = args.json or rundir / "storm.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"\nresults: {path} (server logs in {rundir})")


if __name__ == "__main__":
    main()
