"""Loaded by the benchmark's server processes (bench/targets.py puts this folder first
on PYTHONPATH and sets BENCH_GC_LOG=1 for them only).

- Logs each garbage-collector pause longer than 5 ms to stderr, so bench/relay.py
  can tell a latency spike caused by a collection from a slow code path.
- With `relay.py --gc-freeze`, SIGUSR1 runs gc.freeze(): every object alive then
  (the warmed connections) moves to the permanent generation, which full
  collections no longer walk. A what-if, not something the servers do.
"""

import os

if os.environ.get("BENCH_GC_LOG") == "1":
    import gc
    import signal
    import sys
    import time

    _started = [0.0]

    def _pause(phase: str, info: dict) -> None:
        if phase == "start":
            _started[0] = time.perf_counter()
            return
        ms = (time.perf_counter() - _started[0]) * 1000
        if ms > 5:
            print(
                f"gc pause pid {os.getpid()} gen {info['generation']} {ms:.1f} ms",
                file=sys.stderr,
                flush=True,
            )

    gc.callbacks.append(_pause)
    signal.signal(signal.SIGUSR1, lambda signum, frame: gc.freeze())
