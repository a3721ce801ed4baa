"""Measuring one step (with the shared-machine retries) and searching the knee."""

from __future__ import annotations

import time

from bench import report
from bench.driver import LoadGenProc
from bench.procstat import CpuMeter, pids_named
from bench.targets import Target

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
        return {
            "knee": None,
            "best_probe": None,
            "first_failing_probe": failed,
            "loadgen_bound": False,
        }
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
                "best_probe": max(passed),
                "first_failing_probe": failed,
                "loadgen_bound": saturated or saturates(result),
                # Nothing failed below --max-rate: the knee is at least this.
                "capped": failed is None and rate == max(passed),
            }
    return {
        "knee": None,
        "best_probe": max(passed),
        "first_failing_probe": failed,
        "loadgen_bound": saturated,
    }


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
