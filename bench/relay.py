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
from bench.driver import LoadGenProc  # noqa: E402
from bench.procstat import pss_kib  # noqa: E402
from bench.search import find_knee, measure, wait_quiet  # noqa: E402
from bench.targets import PYTHON, Target, make_targets, raise_nofile  # noqa: E402


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
