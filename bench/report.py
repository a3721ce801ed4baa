"""Printing of bench/relay.py: one line per measured step, a table per run, ratios
against the baselines, the issue's targets, and the spread over repeated runs."""

from __future__ import annotations

import statistics

TARGETS = {
    "knee": 5000,  # msg/s with p99 <= 50 ms and no loss
    "vs_bare": 0.25,
    "vs_tutorial": 5.0,
    "p99_at_rate": 25.0,  # ms at 1,000 msg/s
    "kib_per_conn": 30.0,
}


def header(results: dict) -> str:
    m = results["machine"]
    a = results["args"]
    pk = ", ".join(f"{k} {v}" for k, v in m["packages"].items())
    return (
        f"relay benchmark: {m['cores']} x {m['cpu']}, Linux {m['kernel']}, "
        f"Python {m['python']}, PostgreSQL {m['postgres']}\n{pk}\n"
        f"servers on CPU {a['server_cpus']}, load generator on CPU {a['loadgen_cpu']}; "
        f"{a['visitors']} visitors, {a['counselors']} counselors; window "
        f"{a['window']} s, probes {a['probe_window']} s; "
        f"knee: p99 <= {a['p99_limit']} ms, no loss; "
        f"load average at start {' '.join(m['loadavg_at_start'])}"
    )


def _us(result: dict, group: str) -> float | None:
    sent = result.get("sent") or 0
    used = result.get("cpu_s", {}).get(group)
    if not sent or used is None:
        return None
    return round(used / sent * 1e6, 1)


def other_cores(r: dict) -> float:
    """Cores used during the window by processes that are not the servers, the
    load generator, PostgreSQL or Redis: other work on a shared machine."""
    used = r.get("cpu_s", {})
    span = r.get("send_seconds") or 1.0
    ours = sum(used.get(g, 0.0) for g in ("server", "postgres", "redis"))
    return max(0.0, (r.get("busy_s", 0.0) - ours - r["loadgen_cpu"] * span) / span)


def step_line(name: str, r: dict) -> str:
    if not r.get("ok", False):
        return f"   [{name}] {r.get('kind')}: load generator error {r.get('error')}"
    flag = " LOADGEN>70%" if r["loadgen_cpu"] > 0.7 else ""
    cores = " ".join(f"{k} {v:.0%}" for k, v in sorted(r.get("core_busy", {}).items()))
    other = other_cores(r)
    span = r.get("send_seconds") or 1.0
    line = (
        f"   [{name}] {r['kind']:<8} {r['rate']:>7.0f}/s x {r['window']:g} s: "
        f"sent {r['sent']} acked {r.get('acked')} lost {r['lost']} dup {r['dup']} "
        f"err {r['errors']} "
        f"closed {r['closed']} | p50 {r['p50']} p99 {r['p99']} max {r['max']} ms | "
        f"cpu us/msg server {_us(r, 'server')} (loop thread {_us(r, 'server_main')}) "
        f"pg {_us(r, 'postgres')} redis {_us(r, 'redis')} | {cores}, other procs "
        f"{other:.2f} cores, steal {r.get('steal_s', 0) / span:.2f} | "
        f"loadgen {r['loadgen_cpu']:.0%} "
        f"lag p99 {r['send_lag_p99']} ms{flag} | {'PASS' if r['clean'] else 'FAIL'}"
    )
    if r.get("gc_pauses"):
        line += (
            f"\n      servers paused for garbage collection {r['gc_pauses']} times "
            f"(longest {r['gc_longest_ms']:.0f} ms)"
        )
    if r.get("loadgen_gc_pauses"):
        line += (
            f"\n      the load generator paused for garbage collection "
            f"{r['loadgen_gc_pauses']} times (longest {r['loadgen_gc_longest_ms']} ms)"
        )
    if r.get("aborted_after") is not None:
        line += (
            f"\n      overloaded: stopped after {r['aborted_after']} s with over 3 s "
            "of traffic unacked or undelivered (latencies are of what arrived)"
        )
    if r["errors"] or r["closed"]:
        line += (
            f"\n      samples: {r['error_samples'] + r['close_samples']}; "
            f"{r.get('reopened', 0)} dropped sockets reopened for the next step"
        )
    return line


def _figures(out: dict) -> dict:
    at = out.get("at_rate") or {}
    knee = out.get("knee") or {}
    mem = out.get("memory") or {}
    # CPU per message compared at the first probe's rate, where no server is
    # saturated (at 1,000/s ours and the tutorial are, and CPU/msg = 1 / rate).
    base = next((s for s in out.get("steps", []) if s.get("ok")), {})
    return {
        "knee": knee.get("knee"),
        "best_probe": knee.get("best_probe"),
        "loadgen_bound": knee.get("loadgen_bound"),
        "capped": knee.get("capped"),
        "p50": at.get("p50"),
        "p99": at.get("p99"),
        "at_clean": at.get("clean"),
        "at_aborted": at.get("aborted_after"),
        "kib": mem.get("kib_per_connection"),
        "us": _us(base, "server") if base else None,
        "us_pg": _us(base, "postgres") if base else None,
        "us_rate": base.get("rate"),
    }


def _at_note(f: dict) -> str:
    if f["at_clean"]:
        return ""
    if f["at_aborted"] is not None:
        return f"  (overloaded at the fixed rate: stopped after {f['at_aborted']} s)"
    return "  (loss, errors or p99 over the limit at the fixed rate)"


def _ratio(a, b) -> str:
    if not a or not b:
        return "n/a"
    return f"{a / b:.2f}x"


def run_table(run: dict, args, number: int) -> str:
    rows = [
        f"\n== run {number}: {args.visitors} visitors, {args.counselors} counselors, "
        f"{args.window:g} s windows{' (QUICK)' if args.quick else ''}",
        f"{'server':<10} {'knee msg/s':>11} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'KiB/conn':>9} {'server us/msg':>14} {'pg us/msg':>10}  "
        f"(latency at {args.at_rate:g} msg/s, CPU at {args.start_rate:g} msg/s)",
    ]
    figures = {}
    for name, out in run.items():
        f = figures[name] = _figures(out)
        if "error" in out:
            rows.append(f"{name:<10} FAILED: {out['error']}")
            continue
        knee = f"{f['knee']:.0f}" if f["knee"] else "none"
        if not f["knee"] and f["best_probe"]:
            knee = f"none({f['best_probe']:.0f}p)"
        if f["loadgen_bound"]:
            knee = ">=" + knee + "*"
        elif f["capped"]:
            knee = ">=" + knee
        rows.append(
            f"{name:<10} {knee:>11} {f['p50']!s:>8} {f['p99']!s:>8} {f['kib']!s:>9} "
            f"{f['us']!s:>14} {f['us_pg']!s:>10}" + _at_note(f)
        )
    if any(not f["knee"] and f["best_probe"] for f in figures.values()):
        rows.append(
            "none(Xp): no rate held over the full window; X passed a short probe"
        )
    if any(f["loadgen_bound"] for f in figures.values()):
        rows.append(
            "* the load generator passed its CPU limit: the server's knee "
            "is at least this"
        )
    ours = figures.get("ours")
    if ours:
        for base in ("bare", "tutorial"):
            b = figures.get(base)
            if not b:
                continue
            rows.append(
                f"ours / {base:<9} knee {_ratio(ours['knee'], b['knee'])}, "
                f"p99 {_ratio(ours['p99'], b['p99'])}, "
                f"KiB/conn {_ratio(ours['kib'], b['kib'])}, "
                f"server CPU/msg {_ratio(ours['us'], b['us'])}"
            )
        rows.append(_targets(ours, figures))
    return "\n".join(rows)


def _check(ok: bool | None) -> str:
    return "n/a" if ok is None else ("met" if ok else "NOT met")


def _targets(ours: dict, figures: dict) -> str:
    t = TARGETS
    knee = ours["knee"]
    bare = (figures.get("bare") or {}).get("knee")
    tut = (figures.get("tutorial") or {}).get("knee")
    checks = [
        f"knee >= {t['knee']}: {_check(None if knee is None else knee >= t['knee'])}",
        f">= {t['vs_bare']}x bare: "
        f"{_check(None if not (knee and bare) else knee / bare >= t['vs_bare'])}",
        f">= {t['vs_tutorial']:g}x tutorial: "
        f"{_check(None if not (knee and tut) else knee / tut >= t['vs_tutorial'])}",
        f"p99 <= {t['p99_at_rate']:g} ms at 1,000/s: "
        f"{_check(None if ours['p99'] is None else ours['p99'] <= t['p99_at_rate'])}",
        f"<= {t['kib_per_conn']:g} KiB/conn: "
        f"{_check(None if ours['kib'] is None else ours['kib'] <= t['kib_per_conn'])}",
    ]
    return "targets (ours): " + "; ".join(checks)


def _knee_text(f: dict) -> str:
    if f["knee"]:
        return f"{f['knee']:.0f}"
    return f"none({f['best_probe']:.0f}p)" if f["best_probe"] else "none"


def spread(runs: list[dict]) -> str:
    rows = ["\n== spread over runs (knee of each run; min / median / max)"]
    for name in runs[0]:
        figures = [_figures(r[name]) for r in runs if name in r]
        cells = ["knee " + ", ".join(_knee_text(f) for f in figures)]
        for key, label in (
            ("p50", "p50"),
            ("p99", "p99"),
            ("kib", "KiB/conn"),
            ("us", "server us/msg"),
        ):
            values = [f[key] for f in figures if f[key] is not None]
            if values:
                cells.append(
                    f"{label} {min(values):g} / {statistics.median(values):g}"
                    f" / {max(values):g}"
                )
        rows.append(f"{name:<10} " + ", ".join(cells))
    return "\n".join(rows)
