"""Targeting benchmark: tracking events processed per second by one daphne process
with N visitor sockets and R active rules, CPU per event, event-to-invitation
latency, memory; a bare parse-and-drop ASGI handler under the same daphne, in the
same run, is the baseline.

For each server (bare, then ours with R = each of --rules): seed the database
(ours), start daphne pinned to --server-cpu, connect N visitors (resume + one
`session` event each) from the load generator pinned to --loadgen-cpu, then step
the offered rate of page-view events (open loop) with 1 and 5 events a frame. One
event in --fire-every is a page view that completes a promo rule; the time from its
frame's intended send time to the `offer` frame is the latency.

    .venv/bin/python bench/targeting.py                  # 10,000 visitors
    .venv/bin/python bench/targeting.py --quick          # smoke run
    .venv/bin/python bench/targeting.py --visitors 2000 --rules 10,100,1000

Method and recorded results: docs/benchmarks.md, section "Targeting".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.procstat import CpuMeter, pids_named, pss_kib  # noqa: E402
from bench.targets import (  # noqa: E402
    PG_BASE,
    PYTHON,
    ROOT,
    VENV_BIN,
    VISITOR_ORIGIN,
    Target,
    raise_nofile,
)

TARGET_RATE = 10_000  # events/s at R = 100
TARGET_CPU_US = 100.0
TARGET_P99_MS = 50.0
TARGET_GROWTH = 2.0


def daphne(port: int, app: str) -> list[str]:
    return [
        str(VENV_BIN / "daphne"),
        "-e",
        f"tcp:port={port}:interface=127.0.0.1:backlog=4096",
        "-v",
        "0",
        app,
    ]


class BareTarget(Target):
    name = "bare"
    label = "bare parse-and-drop ASGI (daphne)"

    def command(self, port: int) -> list[str]:
        return daphne(port, "bench.targeting_bare:application")

    def visitor_specs(self, n: int) -> list[dict]:
        spec = {
            "port": self.ports[0],
            "path": "/ws/visitor/",
            "headers": {"Origin": VISITOR_ORIGIN},
            "resume": '{"type":"resume","token":null}',
        }
        return [spec] * n

    def setup_info(self, rules: int) -> dict:
        return {"categories": max(10, rules // 10), "promos": 1}

    def stored(self, lg: LoadGen) -> int:
        return lg.call({"cmd": "stats"})["events"]


class OursTarget(Target):
    name = "ours"
    label = "ours R={rules} (daphne, PostgreSQL, Redis)"

    def __init__(self, *, rules: int, database: str, **kw) -> None:
        super().__init__(**kw)
        self.rules = rules
        self.database = database

    def prepare(self, visitors: int) -> None:
        out = subprocess.run(
            [
                PYTHON,
                "bench/targeting_seed.py",
                "--visitors",
                str(visitors),
                "--rules",
                str(self.rules),
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
        return daphne(port, "config.asgi:application")

    def visitor_specs(self, n: int) -> list[dict]:
        path = f"/ws/visitor/?site={self.data['site_key']}"
        return [
            {
                "port": self.ports[0],
                "path": path,
                "headers": {"Origin": VISITOR_ORIGIN},
                "resume": json.dumps({"type": "resume", "token": token}),
            }
            for token in self.data["tokens"]
        ]

    def setup_info(self, rules: int) -> dict:
        return {"categories": self.data["categories"], "promos": self.data["promos"]}

    def stored(self, lg: LoadGen) -> int:
        return int(
            psql(
                self.database,
                "select coalesce(max(id), 0) from targeting_trackevent",
            )
        )


def psql(database: str, sql: str) -> str:
    return subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atc", sql],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


class LoadGen:
    def __init__(self, cpu: str, rundir: Path) -> None:
        self.log = open(rundir / "loadgen.log", "ab")
        self.proc = subprocess.Popen(
            ["taskset", "-c", cpu, PYTHON, "-m", "bench.targeting_loadgen"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            preexec_fn=raise_nofile,
            text=True,
        )

    def call(self, msg: dict) -> dict:
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("load generator exited; see loadgen.log")
        out = json.loads(line)
        if not out.get("ok"):
            raise RuntimeError(f"load generator: {out.get('error')}")
        return out

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.call({"cmd": "quit"})
            except (RuntimeError, BrokenPipeError, ValueError):
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def step(target, lg: LoadGen, info: dict, rate: float, per: int, args) -> dict:
    groups = {
        "server": list(target.pids),
        "postgres": pids_named("postgres"),
        "redis": pids_named("redis-server"),
    }
    meter = CpuMeter(groups)
    base = target.stored(lg)
    meter.start()
    t_start = time.monotonic()
    res = lg.call(
        {
            "cmd": "run",
            "rate": rate,
            "window": args.window,
            "per_frame": per,
            "fire_every": args.fire_every,
            "cats": info["categories"],
            "promos": info["promos"],
            "cursor": getattr(target, "cursor", 0),
        }
    )
    target.cursor = res["cursor"]
    ended = time.monotonic()  # the load generator returned: sends and offers done
    # Wait until every event is stored (the writer flushes every 100 ms).
    stored, last, last_change = 0, -1, time.monotonic()
    complete_after = None
    while True:
        stored = target.stored(lg) - base
        now = time.monotonic()
        if stored >= res["events"]:
            complete_after = round(now - ended, 2)
            break
        if stored != last:
            last, last_change = stored, now
        elif now - last_change > 3.0 or now - ended > 60:
            break
        time.sleep(0.1)
    cpu = meter.stop()
    server_s = cpu["cpu_s"]["server"]
    res.update(
        stored=stored,
        complete_after=complete_after,
        # everything stored / (sending + offer drain + until the last row): a
        # server that falls behind shows a lower rate than offered
        processed_rate=round(
            stored
            / (
                res["send_seconds"]
                + res["drain_seconds"]
                + (complete_after if complete_after is not None else 3.0)
            ),
            1,
        ),
        server_cpu_s=server_s,
        cpu_us_per_event=round(server_s / max(stored, 1) * 1e6, 1),
        marginal_us_per_event=round(
            max(0.0, server_s - target.idle_cores * (time.monotonic() - t_start))
            / max(stored, 1)
            * 1e6,
            1,
        ),
        postgres_cpu_us_per_event=round(
            cpu["cpu_s"]["postgres"] / max(stored, 1) * 1e6, 1
        ),
        redis_cpu_us_per_event=round(cpu["cpu_s"]["redis"] / max(stored, 1) * 1e6, 1),
        core_busy=cpu["core_busy"],
        steal_s=cpu["steal_s"],
    )
    problems = []
    if res["aborted_after"] is not None:
        problems.append(f"overloaded@{res['aborted_after']}s")
    if stored < res["events"]:
        problems.append(f"stored {stored}/{res['events']}")
    elif complete_after is not None and complete_after > args.complete_limit:
        problems.append(f"stored {complete_after}s late")
    if res["offers_missing"]:
        problems.append(f"{res['offers_missing']} offers missing")
    if res["p99_ms"] is not None and res["p99_ms"] > TARGET_P99_MS:
        problems.append("p99>50ms")
    if res["errors"] or res["closed"]:
        problems.append(f"errors {res['errors']} closed {res['closed']}")
    if res["loadgen_cpu"] > args.loadgen_limit:
        problems.append("LOADGEN>70%")
    res["problems"] = problems
    res["clean"] = not problems
    print(
        f"   {per}/frame {rate:>7.0f} ev/s: processed {res['processed_rate']:>8.0f}/s "
        f"cpu {res['cpu_us_per_event']:>6.1f} us/ev (marginal "
        f"{res['marginal_us_per_event']}, pg "
        f"{res['postgres_cpu_us_per_event']}, redis {res['redis_cpu_us_per_event']}) "
        f"offers {res['offers']}/{res['fires']} p50 {res['p50_ms']} p99 "
        f"{res['p99_ms']} ms lg {res['loadgen_cpu']:.2f} "
        f"{'ok' if res['clean'] else ' '.join(problems)}",
        flush=True,
    )
    return res


def bench_target(target, args, rundir: Path, rules: int) -> dict:
    label = target.label.format(rules=rules)
    print(f"\n== {label}, {args.visitors} visitors", flush=True)
    out: dict = {"label": label, "rules": rules, "steps": []}
    started = time.monotonic()
    if isinstance(target, OursTarget):
        target.prepare(args.visitors)
        out["active_rules"] = target.data["rules"]
    target.start()
    lg = LoadGen(args.loadgen_cpu, rundir)
    try:
        time.sleep(1.0)
        before = sum(pss_kib(p) for p in target.pids)
        t = time.monotonic()
        cpu0 = sum(cpu_of(p) for p in target.pids)
        setup = lg.call(
            {
                "cmd": "connect",
                "visitors": target.visitor_specs(args.visitors),
                "concurrency": args.concurrency,
            }
        )
        connect_cpu = sum(cpu_of(p) for p in target.pids) - cpu0
        time.sleep(args.settle)
        after = sum(pss_kib(p) for p in target.pids)
        out["setup"] = {
            "connect_seconds": setup["seconds"],
            "connect_wall": round(time.monotonic() - t, 1),
            "server_cpu_ms_per_connect": round(connect_cpu / args.visitors * 1e3, 2),
        }
        out["memory"] = {
            "pss_before_mib": round(before / 1024, 1),
            "pss_after_mib": round(after / 1024, 1),
            "kib_per_visitor": round((after - before) / args.visitors, 1),
        }
        print(
            f"   connected + resumed {args.visitors} in {setup['seconds']} s "
            f"({out['setup']['server_cpu_ms_per_connect']} ms server CPU each); PSS "
            f"{before / 1024:.0f} -> {after / 1024:.0f} MiB "
            f"({out['memory']['kib_per_visitor']} KiB/visitor)",
            flush=True,
        )
        if args.gc_freeze:
            target.gc_freeze()  # bench/gclog: SIGUSR1 -> gc.freeze()
            time.sleep(0.5)
        # Idle cost of N open sockets (daphne's per-second checks over every
        # connection, pings, collections): subtracted for the marginal cost.
        cpu0 = sum(cpu_of(p) for p in target.pids)
        time.sleep(args.idle_window)
        target.idle_cores = (sum(cpu_of(p) for p in target.pids) - cpu0) / max(
            args.idle_window, 0.1
        )
        out["idle_cores"] = round(target.idle_cores, 3)
        print(f"   idle: {target.idle_cores:.3f} cores with no events", flush=True)
        info = target.setup_info(rules)
        for per in args.per_frame:
            for rate in args.rates:
                res = step(target, lg, info, rate, per, args)
                out["steps"].append(res)
                if res["aborted_after"] is not None or not target.alive():
                    break  # higher rates would only build a backlog
        if args.py_spy and isinstance(target, OursTarget) and rules == args.profile_r:
            profile(target, lg, info, args, rundir)
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        print(f"   FAILED: {out['error']} (logs in {rundir})", flush=True)
    finally:
        lg.close()
        target.stop()
    out["logs"] = target.log_summary()
    out["seconds"] = round(time.monotonic() - started, 1)
    return out


def profile(target, lg: LoadGen, info: dict, args, rundir: Path) -> None:
    path = rundir / f"ours-R{target.rules}.folded"
    spy = subprocess.Popen(
        [args.py_spy, "record", "-p", str(target.pids[0]), "-d",
         str(int(args.window)), "-r", "250", "-f", "raw", "-o", str(path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    step(target, lg, info, args.profile_rate, 1, args)
    spy.wait()
    print(f"   py-spy profile (not counted): {path}", flush=True)


def cpu_of(pid: int) -> float:
    from bench.procstat import cpu_seconds

    return cpu_seconds(pid)


def best(steps: list[dict], per: int) -> dict | None:
    clean = [s for s in steps if s["per_frame"] == per and s["clean"]]
    return max(clean, key=lambda s: s["rate"]) if clean else None


def at_rate(steps: list[dict], per: int, rate: float) -> dict | None:
    return next((s for s in steps if s["per_frame"] == per and s["rate"] == rate), None)


def mark(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def summary(results: dict, args) -> str:
    lines = []
    ref = args.ref_rate
    lines.append(
        f"\nTargeting, {args.visitors} visitor sockets, one daphne process on CPU "
        f"{args.server_cpu}, load generator on CPU {args.loadgen_cpu}; {args.window} s "
        f"steps; 1 event in {args.fire_every} completes a rule"
    )
    head = (
        f"{'server':<40} {'ev/frame':>8} {'max clean':>10} {'cpu us/ev':>10} "
        f"{'marginal':>8} {'us/ev @' + str(int(ref)):>11} {'p50 ms':>7} "
        f"{'p99 ms':>7} "
        f"{'KiB/sock':>8}"
    )
    lines.append(head)
    lines.append("-" * len(head))
    for run in results["runs"]:
        for per in args.per_frame:
            b = best(run["steps"], per)
            r = at_rate(run["steps"], per, ref)
            lines.append(
                f"{run['label']:<40} {per:>8} "
                f"{(b['processed_rate'] if b else 0):>10.0f} "
                f"{(b['cpu_us_per_event'] if b else float('nan')):>10.1f} "
                f"{(b.get('marginal_us_per_event', 0) if b else float('nan')):>8.1f} "
                f"{(r['cpu_us_per_event'] if r else float('nan')):>11.1f} "
                f"{(b['p50_ms'] if b else None)!s:>7} "
                f"{(b['p99_ms'] if b else None)!s:>7} "
                f"{run.get('memory', {}).get('kib_per_visitor', '?')!s:>8}"
            )
    lines.append(
        "max clean: highest offered rate with every event stored within "
        f"{args.complete_limit} s, all offers, p99 <= 50 ms, no error, load generator "
        "<= 70% (its processed rate shown); cpu us/ev: daphne process CPU / stored "
        "events at that rate (PostgreSQL, Redis separate in the JSON)"
    )
    ours = {r["rules"]: r for r in results["runs"] if r["label"].startswith("ours")}
    bare = next((r for r in results["runs"] if r["label"].startswith("bare")), None)
    lines.append("\nTargets (1 event a frame, the worst case; 5 a frame in brackets)")
    for per in args.per_frame:
        tag = "" if per == 1 else f" [{per}/frame]"
        r100 = ours.get(100)
        if r100:
            b = best(r100["steps"], per)
            rate = b["processed_rate"] if b else 0
            lines.append(
                f"  events/s at R=100 >= {TARGET_RATE}{tag}: {rate:.0f} "
                f"(offered {b['rate'] if b else 0:.0f}) "
                f"{mark(rate >= TARGET_RATE * 0.98)}"
            )
        for rules, run in sorted(ours.items()):
            b = best(run["steps"], per)
            if b:
                lines.append(
                    f"  R={rules}: cpu {b['cpu_us_per_event']} us/event <= "
                    f"{TARGET_CPU_US:.0f}{tag} "
                    f"{mark(b['cpu_us_per_event'] <= TARGET_CPU_US)}"
                    f"; p99 {b['p99_ms']} ms <= {TARGET_P99_MS:.0f} at "
                    f"{b['rate']:.0f} ev/s "
                    f"{mark(b['p99_ms'] is not None and b['p99_ms'] <= TARGET_P99_MS)}"
                )
            else:
                lines.append(f"  R={rules}{tag}: no clean step FAIL")
        lo, hi = ours.get(min(ours, default=0)), ours.get(max(ours, default=0))
        if lo and hi and lo is not hi:
            a, z = at_rate(lo["steps"], per, ref), at_rate(hi["steps"], per, ref)
            if a and z:
                growth = z["cpu_us_per_event"] / a["cpu_us_per_event"]
                ma, mz = a.get("marginal_us_per_event"), z.get("marginal_us_per_event")
                if ma and mz:
                    lines.append(
                        f"  marginal cpu/event R={lo['rules']} -> R={hi['rules']} "
                        f"at {ref:.0f} ev/s{tag}: {a['marginal_us_per_event']} -> "
                        f"{z['marginal_us_per_event']} us = "
                        f"{mz / ma:.2f}x"
                    )
                lines.append(
                    f"  cpu/event growth R={lo['rules']} -> R={hi['rules']} at "
                    f"{ref:.0f} ev/s{tag}: {a['cpu_us_per_event']} -> "
                    f"{z['cpu_us_per_event']} us = {growth:.2f}x < {TARGET_GROWTH} "
                    f"{mark(growth < TARGET_GROWTH)}"
                )
        if bare:
            bb = at_rate(bare["steps"], per, ref)
            for rules, run in sorted(ours.items()):
                o = at_rate(run["steps"], per, ref)
                if bb and o:
                    lines.append(
                        f"  ours R={rules} / bare cpu per event at {ref:.0f} ev/s"
                        f"{tag}: {o['cpu_us_per_event'] / bb['cpu_us_per_event']:.1f}x"
                    )
    return "\n".join(lines)


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="1000 visitors, 4 s steps")
    p.add_argument("--visitors", type=int)
    p.add_argument("--rules", default="10,100,1000")
    p.add_argument(
        "--rates", help="offered events/s, a ladder stopped at the first overload"
    )
    p.add_argument("--per-frame", default="1,5")
    p.add_argument("--window", type=float, help="step length, s (default 15)")
    p.add_argument("--fire-every", type=int, default=100)
    p.add_argument(
        "--ref-rate", type=float, default=250, help="rate compared across R and bare"
    )
    p.add_argument("--targets", default="bare,ours")
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--loadgen-cpu", default="1")
    p.add_argument("--loadgen-limit", type=float, default=0.7)
    p.add_argument("--complete-limit", type=float, default=1.0)
    p.add_argument("--concurrency", type=int, default=100)
    p.add_argument("--settle", type=float, default=2.0)
    p.add_argument("--event-limit", type=int, default=1000)
    p.add_argument("--database", default="livechat_bench_targeting")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/7")
    p.add_argument("--port", type=int, default=8171)
    p.add_argument("--json", type=Path)
    p.add_argument("--idle-window", type=float, default=5.0)
    p.add_argument(
        "--gc-freeze",
        action="store_true",
        help="what-if: gc.freeze() in the server after the sockets are connected",
    )
    p.add_argument("--py-spy", help="path to py-spy: profile ours at --profile-rate")
    p.add_argument("--profile-r", type=int, default=100)
    p.add_argument("--profile-rate", type=float, default=2000)
    args = p.parse_args()
    args.visitors = args.visitors or (1000 if args.quick else 10_000)
    args.window = args.window or (4.0 if args.quick else 15.0)
    ladder = "250,1000,5000" if args.quick else "100,250,500,1000,2000,5000,10000"
    rates = args.rates or ladder
    args.rates = [float(r) for r in rates.split(",")]
    args.per_frame = [int(x) for x in args.per_frame.split(",")]
    args.rule_counts = [int(x) for x in args.rules.split(",")]
    return args


def clean_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(count=1000))  # our own db number
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])
    client.close()


def main() -> None:
    args = parse_args()
    raise_nofile()
    rundir = Path(tempfile.mkdtemp(prefix="bench-targeting-"))
    exists = psql(
        "postgres", f"select 1 from pg_database where datname = '{args.database}'"
    )
    if not exists:
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", args.database],
            check=True,
        )
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "DATABASE_URL": f"{PG_BASE}/{args.database}",
        "REDIS_URL": args.redis_url,
        "CHANNEL_PREFIX": f"lctg{os.getpid()}",
        "SECRET_KEY": "bench-secret-not-for-production-0123456789",
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        # Lifted so the offered rate, not the per-socket flood guard, is measured.
        "CHAT_VISITOR_FRAMES_PER_S": str(args.event_limit),
        "CHAT_VISITOR_EVENTS_PER_S": str(args.event_limit),
    }
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env={**os.environ, **env},
        check=True,
    )
    results: dict = {"args": {k: str(v) for k, v in vars(args).items()}, "runs": []}
    started = time.monotonic()
    common = {"cpus": args.server_cpu, "rundir": rundir}
    try:
        for name in args.targets.split(","):
            if name == "bare":
                target = BareTarget(ports=[args.port + 1], env={}, **common)
                results["runs"].append(bench_target(target, args, rundir, 0))
            elif name == "ours":
                for rules in args.rule_counts:
                    target = OursTarget(
                        rules=rules,
                        database=args.database,
                        ports=[args.port],
                        env=env,
                        **common,
                    )
                    results["runs"].append(bench_target(target, args, rundir, rules))
                    clean_redis(args.redis_url)
    finally:
        clean_redis(args.redis_url)
    text = summary(results, args)
    print(text)
    results["summary"] = text
    results["seconds"] = round(time.monotonic() - started, 1)
    path = args.json or rundir / "results.json"
    path.write_text(json.dumps(results, indent=1))
    print(f"\nresults: {path} (logs in {rundir}); total {results['seconds']} s")


if __name__ == "__main__":
    main()
