"""Reading /proc: memory (PSS) and CPU time of processes, busy time of each core."""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def pss_kib(pid: int) -> int:
    """Proportional set size: shared pages are split between the processes mapping
    them, so the sum over the server processes counts each page once."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    raise RuntimeError(f"no Pss line for pid {pid}")


def cpu_seconds(pid: int | str) -> float:
    """User + system CPU of a process (all its threads), or of one thread when given
    as "pid/task/tid"; 0 if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    # The command name may contain spaces; fields resume after its closing ')'.
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def pids_named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == name:
                pids.append(int(entry.name))
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return pids


def core_times() -> dict[str, tuple[float, float, float]]:
    """Per core: (busy, steal, total) seconds since boot. Steal is time the
    hypervisor gave this virtual core to someone else: not ours, not idle."""
    result = {}
    for line in Path("/proc/stat").read_text().splitlines():
        if not line.startswith("cpu") or line.startswith("cpu "):
            continue
        name, *values = line.split()
        ticks = [int(v) for v in values]
        idle = ticks[3] + ticks[4]  # idle + iowait
        steal = ticks[7]
        total = sum(ticks[:8])  # guest time is already inside user
        result[name] = ((total - idle - steal) / TICK, steal / TICK, total / TICK)
    return result


class CpuMeter:
    """CPU used by groups of processes and by each core between start() and stop()."""

    def __init__(self, groups: dict[str, list[int | str]]) -> None:
        self.groups = groups

    def start(self) -> None:
        self.before = {
            g: [cpu_seconds(p) for p in pids] for g, pids in self.groups.items()
        }
        self.cores_before = core_times()

    def stop(self) -> dict:
        used = {}
        for group, pids in self.groups.items():
            after = [cpu_seconds(p) for p in pids]
            pairs = zip(after, self.before[group], strict=True)
            used[group] = round(sum(max(0.0, a - b) for a, b in pairs), 3)
        cores = {}
        busy_s = steal_s = 0.0
        for name, (busy, steal, total) in core_times().items():
            busy0, steal0, total0 = self.cores_before.get(name, (busy, steal, total))
            span = total - total0
            cores[name] = round((busy - busy0) / span, 3) if span > 0 else 0.0
            busy_s += busy - busy0
            steal_s += steal - steal0
        return {
            "cpu_s": used,
            "core_busy": cores,
            "busy_s": round(busy_s, 3),
            "steal_s": round(steal_s, 3),
        }
