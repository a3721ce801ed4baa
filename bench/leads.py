"""Leads benchmark: the managers' lead API, the CSV export and the public form against
a database of 100,000 leads, next to GET /healthz (one SELECT 1 through the same
stack) as the floor, all on one daphne process of the real app.

    .venv/bin/python bench/leads.py             # full: 10 s per step, 3 repeats
    .venv/bin/python bench/leads.py --quick     # smoke: 2 s per step, 1 repeat
    .venv/bin/python bench/leads.py --explain   # + EXPLAIN ANALYZE, SQL per request

It creates, migrates and seeds its own database (`livechat_bench_leads`, reused
while it holds --leads leads; --reseed drops it), uses Redis db 9 and a port in
8141-8199. Method and recorded results: docs/benchmarks.md, section "Leads".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import leads_report  # noqa: E402
from bench.leads_server import Client, PgMeter, Server, login  # noqa: E402
from bench.procstat import CpuMeter, pids_named  # noqa: E402
from bench.relay import ensure_database, machine  # noqa: E402
from bench.search import wait_quiet  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")
PG = "postgres://postgres@127.0.0.1:5432"


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--leads", type=int, default=100_000)
    p.add_argument("--quick", action="store_true", help="2 s steps, 1 repeat")
    p.add_argument("--seconds", type=float, help="per step (default 10, quick 2)")
    p.add_argument("--repeat", type=int, help="default 3 (quick 1)")
    p.add_argument("--concurrency", default="1,4", help="closed-loop workers")
    p.add_argument("--only", help="comma-separated variant names (default all)")
    p.add_argument("--reseed", action="store_true", help="drop and seed again")
    p.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE + SQL")
    p.add_argument("--no-load", action="store_true", help="skip the load steps")
    p.add_argument("--database", default="livechat_bench_leads")
    p.add_argument("--redis-db", type=int, default=9)
    p.add_argument("--form-rate", default="1000000/minute", help="LEADS_FORM_RATE")
    p.add_argument(
        "--pool",
        type=int,
        help="what-if: a pool of exactly N connections; 0 = no pool, a new "
        "connection per request (production before b120085); default: production's",
    )
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--client-cpu", default="1")
    p.add_argument(
        "--wait-quiet",
        type=float,
        help="before each step wait up to S s for other load to drop (default 60, "
        "quick 0); a step during which others used more than --quiet-cores is "
        "measured again once",
    )
    p.add_argument("--quiet-cores", type=float, default=0.25)
    p.add_argument("--json", type=Path, help="write all results here")
    p.add_argument(
        "--report", type=Path, help="print the summary of a results JSON; no run"
    )
    args = p.parse_args()
    args.seconds = args.seconds or (2.0 if args.quick else 10.0)
    args.repeat = args.repeat or (1 if args.quick else 3)
    if args.wait_quiet is None:
        args.wait_quiet = 0.0 if args.quick else 60.0
    args.concurrency = [int(c) for c in args.concurrency.split(",")]
    return args


def bench_env(args) -> dict:
    """Production settings against the benchmark's own database and Redis db."""
    return {
        "DJANGO_SETTINGS_MODULE": "bench.leads_settings",
        "SECRET_KEY": "bench-leads-not-a-secret-0123456789abcdefghijklmnopqrstuv",
        "DATABASE_URL": f"{PG}/{args.database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{args.redis_db}",
        "CHANNEL_PREFIX": "lcleadsbench",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "LEADS_FORM_RATE": args.form_rate,
    }


def server_env(args) -> dict:
    """The server's: bench_env plus the what-if of bench/leads_settings.py."""
    env = bench_env(args)
    if args.pool is not None:
        env["LEADS_BENCH_DB_POOL"] = str(args.pool)
    return env


def prepare_database(args, env: dict) -> dict:
    if args.reseed:
        subprocess.run(
            [
                "dropdb",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "--if-exists",
                "--force",
                args.database,
            ],
            check=True,
        )
    ensure_database(args.database)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    os.environ.update(env)
    import django

    django.setup()
    from bench import leads_seed

    # Leads a previous (interrupted) run created through the form go first.
    leads_seed.cleanup()
    have = leads_seed.seeded_leads()
    if have is None:
        started = time.monotonic()
        counts = leads_seed.seed(args.leads)
        print(f"seeded {counts} in {time.monotonic() - started:.1f} s", flush=True)
    elif have != args.leads:
        sys.exit(f"{args.database} holds {have} leads, not {args.leads}: --reseed")
    else:
        leads_seed.vacuum()
    info = leads_seed.describe()
    print(f"database {args.database}: {json.dumps(info['counts'])}", flush=True)
    return info


def free_port() -> int:
    ports = list(range(8141, 8200))
    random.shuffle(ports)
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port in 8141-8199")


def variants(info: dict, args) -> list[dict]:
    site, secs = info["site"], args.seconds
    base = {"site": site, "status": "new", "page_size": 50}

    def api(path: str, **params) -> str:
        return f"{path}?{urlencode(params)}"

    lst = "/api/leads/"
    out = [
        {"name": "healthz", "path": "/healthz", "auth": False},
        {"name": "list", "path": api(lst, **base)},
        {"name": "list q=name", "path": api(lst, **base, q=info["name_fragment"])},
        {
            "name": "list q=name, any status",
            "path": api(lst, site=site, page_size=50, q=info["name_fragment"]),
        },
        {"name": "list q=phone", "path": api(lst, **base, q=info["phone_national"])},
        {
            "name": "list q=last 4 digits, any status",
            "path": api(lst, site=site, page_size=50, q=info["phone_national"][-4:]),
        },
        {
            "name": "list assignee+contacted",
            "path": api(
                lst,
                site=site,
                assignee=info["assignee"],
                status="contacted",
                page_size=50,
            ),
        },
        {"name": "list overdue", "path": api(lst, **base, overdue="true")},
        {"name": "list cursor pages 2-5", "path": api(lst, **base), "kind": "cursor"},
        {"name": "stats", "path": api("/api/leads/stats/", site=site)},
        {
            "name": "export site",
            "path": api("/api/leads/export/", site=site),
            "kind": "export",
        },
        {
            "name": "export status=new",
            "path": api("/api/leads/export/", site=site, status="new"),
            "kind": "export",
        },
        {"name": "form new lead", "path": "/public/v1/leads", "kind": "form"},
        {"name": "form replay", "path": "/public/v1/leads", "kind": "replay"},
    ]
    for v in out:
        v.setdefault("kind", "get")
        v.setdefault("auth", v["kind"] not in ("form", "replay"))
        v["seconds"] = secs
        v["warmup"] = 1 if v["kind"] == "export" else 3
        v["min_requests"] = (2 if args.quick else 5) if v["kind"] == "export" else 10
        v["pages"] = 5
    if args.only:
        wanted = set(args.only.split(","))
        out = [v for v in out if v["name"] in wanted]
    return out


def run_step(client: Client, server: Server, variant: dict, c: int, ctx: dict):
    cmd = {k: variant[k] for k in ("kind", "path", "seconds", "warmup", "pages")}
    cmd.update(
        cmd="run",
        port=server.port,
        concurrency=c,
        min_requests=variant["min_requests"],
        server_pid=server.pid,
        headers=ctx["auth_headers"] if variant["auth"] else {},
    )
    if variant["kind"] in ("form", "replay"):
        ctx["form_runs"] += 1
        cmd["headers"] = {"Origin": ctx["form"]["origin"]}
        cmd["form"] = {
            **ctx["form"],
            "phone_base": ctx["phone_base"] + ctx["form_runs"] * 200_000,
            "key_prefix": f"bench-{ctx['run_id']}-{ctx['form_runs']}",
        }
    meter = CpuMeter(
        {
            "server": [server.pid],
            "client": [client.pid],
            "redis": pids_named("redis-server"),
        }
    )
    marks = server.log_mark()
    started = time.monotonic()
    meter.start()
    ctx["pg"].start()
    result = client.call(cmd)
    pg = ctx["pg"].stop()
    cpu = meter.stop()
    wall = time.monotonic() - started
    n = max(1, result["http_requests"])
    result["server_cpu_ms"] = round(cpu["cpu_s"]["server"] * 1000 / n, 2)
    result["postgres_cpu_ms"] = round(pg["cpu_s"] * 1000 / n, 2)
    result["pg_sessions_per_request"] = round(pg["sessions"] / n, 2)
    result["redis_cpu_ms"] = round(cpu["cpu_s"]["redis"] * 1000 / n, 3)
    result["core_busy"] = cpu["core_busy"]
    ours = sum(cpu["cpu_s"].values()) + pg["cpu_s"]
    result["other_cores"] = round(max(0.0, cpu["busy_s"] - ours) / wall, 2)
    result["gc_pauses_ms"] = server.gc_pauses_since(marks)
    return result


def load(args, info: dict, rundir: Path, results: dict) -> None:
    env = server_env(args)
    server = Server(env, free_port(), args.server_cpu, rundir)
    client = pg = None
    try:
        pg = PgMeter(env["DATABASE_URL"], args.database)
        server.start()
        cookies = login(server.port, info["manager"], info["password"])
        ctx = {
            "auth_headers": {
                "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
                "X-CSRFToken": cookies.get("csrftoken", ""),
            },
            "form": info["form"],
            "phone_base": random.randrange(0, 1_000_000),
            "run_id": f"{int(time.time()):x}",
            "form_runs": 0,
            "pg": pg,
        }
        client = Client(args.client_cpu, rundir)
        print(f"server pid {server.pid} on port {server.port}, logs in {rundir}")
        steps = variants(info, args)
        for rep in range(args.repeat):
            print(f"\n== repeat {rep + 1} of {args.repeat}", flush=True)
            for variant in steps:
                for c in args.concurrency:
                    wait_quiet(args)
                    result = run_step(client, server, variant, c, ctx)
                    if result["other_cores"] > args.quiet_cores:
                        print(leads_report.step_line(variant["name"], c, result))
                        print("   ^ busy machine: measured again", flush=True)
                        wait_quiet(args)
                        again = run_step(client, server, variant, c, ctx)
                        again["first_try"] = result
                        result = again
                    key = f"{variant['name']}|{c}"
                    results["steps"].setdefault(key, []).append(result)
                    print(leads_report.step_line(variant["name"], c, result))
    finally:
        if client is not None:
            client.close()
        if pg is not None:
            pg.close()
        server.stop()
        results["server_log"] = server.log_summary()


def _variant(pool: int | None) -> str:
    if pool is None:
        return "as is (production's connection pool)"
    if pool:
        return f"what-if: a pool of {pool} connections"
    return "what-if: no pool, a new connection per request"


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main() -> None:
    args = parse_args()
    if args.report:
        saved = json.loads(args.report.read_text())
        print(leads_report.header(saved) + leads_report.summary(saved))
        return
    signal.signal(signal.SIGTERM, _interrupt)
    rundir = Path(tempfile.mkdtemp(prefix="bench-leads-"))
    env = bench_env(args)
    results: dict = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "machine": machine(),
        "form_rate": args.form_rate,
        "variant": _variant(args.pool),
        "steps": {},
    }
    print(leads_report.header(results), flush=True)
    started = time.monotonic()
    info = prepare_database(args, env)
    results["data"] = info
    from bench import leads_seed

    try:
        if args.explain:
            from bench import leads_explain

            leads_explain.report(info)
        if not args.no_load:
            from django.db import connection

            connection.close()
            load(args, info, rundir, results)
    finally:
        removed = leads_seed.cleanup()
        redis_left = leads_seed.redis_cleanup(env["REDIS_URL"])
        print(f"\ncleanup: removed {removed} benchmark leads; redis keys: {redis_left}")
    if results["steps"]:
        print(leads_report.summary(results))
    results["seconds"] = round(time.monotonic() - started, 1)
    path = args.json or rundir / "results.json"
    path.write_text(json.dumps(results, indent=1, default=str))
    print(f"\nresults: {path}; total {results['seconds']} s")


if __name__ == "__main__":
    main()
