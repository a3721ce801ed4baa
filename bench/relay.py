"""Relay benchmark: our full stack against a bare relay and a tutorial Channels chat.

For each server: connect C counselors, read the servers' PSS, connect and warm V
visitors, read PSS again (memory per idle visitor); step the offered rate of visitor
-> counselor messages in short probes and confirm the highest clean one over the full
window (the knee: p99 <= limit, no loss, duplicate, error or dropped socket); last,
relay at a fixed rate (latency at 1,000 msg/s). Prints a table, ratios, writes JSON.

    .venv/bin/python bench/relay.py            # full run, 60 s windows (~15 min)
    .venv/bin/python bench/relay.py --quick    # smoke run (~3 min), short windows

Method and recorded results: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report  # noqa: E402
from bench.procstat import CpuMeter, pids_named, pss_kib  # noqa: E402
from bench.targets import PYTHON, ROOT, Target, make_targets, raise_nofile  # noqa: E402

LADDER = [
    10,
    25,
    50,
    100,
    250,
    500,
    1000,
    1500,
    2000,
    2500,
    3000,
    4000,
    5000,
    6000,
    8000,
    10000,
    12000,
    15000,
    20000,
    25000,
    30000,
    40000,
]


class LoadGenProc:
    """The load generator process, pinned to its own core, driven line by line."""

    def __init__(self, cpu: str, rundir: Path, body_bytes: int) -> None:
        self.log = open(rundir / "loadgen.log", "ab")
        self.proc = subprocess.Popen(
            ["taskset", "-c", cpu, PYTHON, "-m", "bench.loadgen"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            preexec_fn=raise_nofile,
            text=True,
        )
        self.step = 0
        self.body_bytes = body_bytes

    def call(self, msg: dict) -> dict:
        self.proc.stdin.write(json.dumps(msg) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("load generator exited; see loadgen.log in the run dir")
        return json.loads(line)

    def run(self, rate: float, window: float, groups: dict) -> dict:
        self.step += 1
        result = self.call(
            {
                "cmd": "run",
                "rate": rate,
                "window": window,
                "step": self.step,
                "groups": groups,
                "body_bytes": self.body_bytes,
            }
        )
        quiet = self.call({"cmd": "quiet", "quiet": 1.0, "max": 60})
        result["settle_seconds"] = quiet["seconds"]
        result["unacked_after_settle"] = quiet["unacked"]
        # Sockets the server dropped while working off this step's backlog count
        # against this step; they are reopened for the next one.
        result["closed"] += quiet["closed_during"]
        result["reopened"] = quiet["reopened"]
        result["reopen_failed"] = quiet["reopen_failed"]
        if quiet["reopen_failed"]:
            raise RuntimeError(f"could not reopen {quiet['reopen_failed']} sockets")
        return result

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


def clean(result: dict, p99_limit: float) -> bool:
    return (
        result.get("ok", False)
        and result["lost"] == 0
        and result["dup"] == 0
        and result["reorder"] == 0
        and result["misrouted"] == 0
        and result["errors"] == 0
        and result["closed"] == 0
        and result.get("aborted_after") is None
        and result["p99"] is not None
        and result["p99"] <= p99_limit
    )


def measure(
    target: Target, lg: LoadGenProc, rate: float, window: float, kind: str, args
) -> dict:
    groups = {
        "server": target.pids,
        # The event loop runs on the main thread; the rest is executor threads.
        "server_main": [f"{p}/task/{p}" for p in target.pids],
        "postgres": pids_named("postgres"),
        "redis": pids_named("redis-server"),
    }
    for attempt in range(1 + args.retries):
        marks = target.log_marks()
        result = lg.run(rate, window, groups)
        pauses = target.gc_pauses_since(marks)
        result["gc_pauses"] = len(pauses)
        result["gc_longest_ms"] = max(pauses, default=0.0)
        result["kind"] = kind
        result["clean"] = clean(result, args.p99_limit)
        if not target.alive():
            result["clean"] = False
            result["error"] = "a server process died"
            break
        print(report.step_line(target.name, result), flush=True)
        contended = report.other_cores(result) > args.quiet_cores
        # A short probe fails on a single full collection (a gen-2 pause of a
        # few hundred ms is over 1% of a 5 s window); probes only locate the
        # knee, the full-window confirmation (which includes such pauses)
        # decides it.
        collected = kind == "probe" and result["gc_longest_ms"] >= args.gc_retry_ms
        if result["clean"] or not (contended or collected):
            break
        if attempt == args.retries:
            break
        if contended:
            # On a shared machine a failure while others hogged the CPU says
            # little about the server: wait for quiet and measure it again.
            print("      other processes were busy: retrying", flush=True)
            wait_quiet(args, limit=30)
        else:
            print("      a long GC pause hit this probe: retrying", flush=True)
    result["attempts"] = attempt + 1
    return result


def find_knee(target: Target, lg: LoadGenProc, args, steps: list) -> dict:
    """Find the highest clean rate, before any heavy overload: probe (short
    windows) from --start-rate up the ladder until a probe fails, or down until
    one is clean; bisect once between the last clean and the first failing rate;
    confirm the best over the full window, stepping down through the clean
    probes if the confirmation fails."""
    ladder = [r for r in LADDER if r <= args.max_rate]
    passed: list[float] = []
    failed = None

    def probe(rate: float) -> dict:
        result = measure(target, lg, rate, args.probe_window, "probe", args)
        steps.append(result)
        return result

    def saturates(result: dict) -> bool:
        return result["loadgen_cpu"] > args.loadgen_limit

    saturated = False
    first = probe(args.start_rate)
    if first["clean"]:
        passed.append(args.start_rate)
        saturated = saturates(first)
        for rate in (r for r in ladder if r > args.start_rate):
            if saturated:
                break
            result = probe(rate)
            if not result["clean"]:
                failed = rate
                break
            passed.append(rate)
            saturated = saturates(result)
    else:
        failed = args.start_rate
        for rate in sorted((r for r in ladder if r < args.start_rate), reverse=True):
            if probe(rate)["clean"]:
                passed.append(rate)
                break
            failed = rate
    if not passed:
        return {"knee": None, "first_failing_probe": failed, "loadgen_bound": False}
    if failed and not saturated and failed / max(passed) > 1.15:
        mid = round((max(passed) + failed) / 2, -1 if failed < 1000 else -2)
        if probe(mid)["clean"]:
            passed.append(mid)
    for rate in sorted(set(passed), reverse=True)[: args.confirmations]:
        result = measure(target, lg, rate, args.window, "confirm", args)
        steps.append(result)
        if result["clean"]:
            return {
                "knee": rate,
                "first_failing_probe": failed,
                "loadgen_bound": saturated or saturates(result),
            }
    return {"knee": None, "first_failing_probe": failed, "loadgen_bound": saturated}


def background_load(seconds: float = 2.0) -> float:
    """Cores kept busy by everything else on the machine (nothing of ours runs)."""
    meter = CpuMeter({})
    meter.start()
    time.sleep(seconds)
    return meter.stop()["busy_s"] / seconds


def wait_quiet(args, limit: float | None = None) -> float:
    """On a shared machine, wait (up to --wait-quiet s) for others' load to drop."""
    deadline = time.monotonic() + (args.wait_quiet if limit is None else limit)
    load = background_load()
    while load > args.quiet_cores and time.monotonic() < deadline:
        time.sleep(5)
        load = background_load()
    return load


def bench_target(target: Target, args, rundir: Path) -> dict:
    label = target.label.format(n=len(target.ports))
    print(f"\n== {label}", flush=True)
    load = wait_quiet(args)
    print(f"   background load before start: {load:.2f} cores", flush=True)
    started = time.monotonic()
    target.prepare(args.visitors, args.counselors)
    target.start()
    lg = LoadGenProc(args.loadgen_cpu, rundir, args.body_bytes)
    out: dict = {"label": label, "steps": [], "background_cores": round(load, 2)}
    try:
        agents, visitors = target.population(args.visitors, args.counselors)
        setup = lg.call({"cmd": "agents", "agents": agents, "concurrency": 20})
        if not setup.get("ok"):
            raise RuntimeError(f"counselors failed to connect: {setup}")
        time.sleep(args.settle)
        before = sum(pss_kib(p) for p in target.pids)
        setup = lg.call(
            {
                "cmd": "visitors",
                "visitors": visitors,
                "concurrency": args.concurrency,
                "warm_concurrency": target.warm_concurrency,
            }
        )
        if not setup.get("ok"):
            raise RuntimeError(f"visitors failed to connect or warm: {setup}")
        print(
            f"   connected {len(agents)} counselors + {setup['visitors']} visitors in "
            f"{setup['connect_seconds']} s, warmed in {setup['warm_seconds']} s "
            f"({setup['warm_delivered']} of {setup['visitors']} warm-up messages "
            "delivered)",
            flush=True,
        )
        out["setup"] = setup
        time.sleep(args.settle)
        after = sum(pss_kib(p) for p in target.pids)
        if args.gc_freeze:
            target.gc_freeze()
            print("   gc.freeze() in the servers (--gc-freeze)", flush=True)
        out["memory"] = {
            "pss_before_kib": before,
            "pss_after_kib": after,
            "connections": args.visitors,
            "kib_per_connection": round((after - before) / args.visitors, 2),
        }
        print(
            f"   PSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB: "
            f"{out['memory']['kib_per_connection']} KiB per idle visitor",
            flush=True,
        )
        # The knee first: a server overloaded by the fixed rate (ours and the
        # tutorial are, at 1,000/s) is slower for a while after.
        out["knee"] = find_knee(target, lg, args, out["steps"])
        if args.py_spy:
            profile(target, lg, out["knee"]["knee"] or args.start_rate, args, rundir)
        at = measure(target, lg, args.at_rate, args.window, "at_rate", args)
        out["steps"].append(at)
        out["at_rate"] = at
    except Exception as exc:
        out["error"] = f"{type(exc).__name__}: {exc}"
        print(f"   FAILED: {out['error']} (logs in {rundir})", flush=True)
    finally:
        lg.close()
        target.stop()
    out["logs"] = target.log_summary()
    if any(out["logs"].values()):
        print(f"   server logs: {out['logs']} (in {rundir})", flush=True)
    out["seconds"] = round(time.monotonic() - started, 1)
    return out


def profile(target: Target, lg: LoadGenProc, rate: float, args, rundir: Path) -> None:
    """Sample the servers with py-spy over one more window at `rate` (the knee):
    raw folded stacks, one file per process, in the run directory."""
    procs = [
        subprocess.Popen(
            [
                args.py_spy,
                "record",
                "-p",
                str(pid),
                "-d",
                str(int(args.window)),
                "-r",
                "200",
                "-f",
                "raw",
                "-o",
                str(rundir / f"{target.name}-{pid}.folded"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in target.pids
    ]
    measure(target, lg, rate, args.window, "profiled", args)
    for proc in procs:
        proc.wait()
    print(f"   py-spy profiles in {rundir} (the profiled step is not counted)")


def ensure_database(name: str) -> None:
    exists = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-Atc",
            f"select 1 from pg_database where datname = '{name}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not exists:
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True
        )


def machine() -> dict:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    versions = subprocess.run(
        [
            PYTHON,
            "-c",
            "import importlib.metadata as m, json; print(json.dumps({p: m.version(p) "
            "for p in ['django','channels','channels-redis','daphne','twisted',"
            "'redis','websockets','psycopg','orjson']}))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    pg = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-Atc", "show server_version"],
        capture_output=True,
        text=True,
    ).stdout
    return {
        "cpu": cpu,
        "cores": len(
            [
                ln
                for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("processor")
            ]
        ),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "postgres": pg.strip(),
        "packages": json.loads(versions),
        "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3],
    }


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="smoke run: 1000 visitors, 40 counselors, --window 6 --probe-window 2",
    )
    p.add_argument("--targets", default="ours,bare,tutorial")
    p.add_argument("--window", type=float, help="measurement window, s (default 60)")
    p.add_argument(
        "--probe-window", type=float, help="knee probe window, s (default 5)"
    )
    p.add_argument(
        "--confirmations", type=int, help="full-window knee tries (default 2)"
    )
    p.add_argument("--visitors", type=int, help="default 5000 (quick: 1000)")
    p.add_argument("--counselors", type=int, help="default 200 (quick: 40)")
    p.add_argument(
        "--procs", type=int, default=2, help="server processes (ours, tutorial)"
    )
    p.add_argument("--at-rate", type=float, default=1000)
    p.add_argument("--start-rate", type=float, default=100, help="first knee probe")
    p.add_argument("--p99-limit", type=float, default=50.0, help="knee criterion, ms")
    p.add_argument("--max-rate", type=float, default=40000)
    p.add_argument("--body-bytes", type=int, default=100)
    p.add_argument(
        "--concurrency", type=int, default=100, help="visitor connects in flight"
    )
    p.add_argument("--settle", type=float, default=2.0)
    p.add_argument("--server-cpus", default="0")
    p.add_argument("--loadgen-cpu", default="1")
    p.add_argument("--loadgen-limit", type=float, default=0.7)
    p.add_argument(
        "--visitor-limit",
        type=int,
        default=1000,
        help="CHAT_VISITOR_MESSAGES_PER_S / FRAMES_PER_S for our server",
    )
    p.add_argument("--tutorial-conn-max-age", type=int, default=600)
    p.add_argument("--database", default="livechat_bench")
    p.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        help="wait up to this many s for other processes to go quiet",
    )
    p.add_argument(
        "--quiet-cores",
        type=float,
        default=0.25,
        help="other processes above this many cores make a machine busy",
    )
    p.add_argument(
        "--gc-retry-ms",
        type=float,
        default=100,
        help="re-probe once if a server GC pause this long hit a failed probe",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=1,
        help="re-measure a failed step this often if the machine was busy",
    )
    p.add_argument("--json", type=Path, help="write all results here")
    p.add_argument(
        "--gc-freeze",
        action="store_true",
        help="what-if: gc.freeze() in every server after warm-up",
    )
    p.add_argument(
        "--py-spy", help="path to py-spy: profile the servers at the fixed rate"
    )
    args = p.parse_args()
    quick = args.quick
    args.window = args.window or (6.0 if quick else 60.0)
    args.probe_window = args.probe_window or (2.0 if quick else 5.0)
    args.confirmations = args.confirmations or 2
    args.visitors = args.visitors or (1000 if quick else 5000)
    args.counselors = args.counselors or (40 if quick else 200)
    return args


def main() -> None:
    args = parse_args()
    raise_nofile()
    rundir = Path(tempfile.mkdtemp(prefix="bench-relay-"))
    ensure_database(args.database)
    results = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "machine": machine(),
        "runs": [],
    }
    print(report.header(results), flush=True)
    started = time.monotonic()
    for rep in range(args.repeat):
        run = {}
        for target in make_targets(args.targets.split(","), args=args, rundir=rundir):
            run[target.name] = bench_target(target, args, rundir)
        results["runs"].append(run)
        print(report.run_table(run, args, rep + 1), flush=True)
    if args.repeat > 1:
        print(report.spread(results["runs"]), flush=True)
    results["seconds"] = round(time.monotonic() - started, 1)
    path = args.json or rundir / "results.json"
    path.write_text(json.dumps(results, indent=1))
    print(
        f"\nresults: {path} (server and load generator logs in {rundir}); "
        f"total {results['seconds']} s"
    )


if __name__ == "__main__":
    main()
