"""Bookkeeping of the load generator: per-step counters and its own GC pauses."""

from __future__ import annotations

import gc
import time


class Step:
    __slots__ = ("sent", "recv", "dup", "reorder", "misrouted", "lat", "lag")

    def __init__(self) -> None:
        self.sent = self.recv = self.dup = self.reorder = self.misrouted = 0
        self.lat: list[int] = []
        self.lag: list[int] = []


def pct(sorted_values: list[int], q: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, int(q * len(sorted_values)))
    return round(sorted_values[index] / 1e6, 3)  # ns -> ms


class GcPauses:
    """Collections of the generator itself longer than 5 ms: they delay receive
    stamps, so a step with such pauses overstates the server's latency."""

    def __init__(self) -> None:
        self.started = 0.0
        self.pauses: list[float] = []
        gc.callbacks.append(self.callback)

    def callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
            return
        ms = (time.perf_counter() - self.started) * 1000
        if ms > 5:
            self.pauses.append(ms)
