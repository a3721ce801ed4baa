"""The load generator process as the orchestrator sees it: pinned to its own core,
driven one JSON line at a time (see bench/loadgen.py for the commands)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bench.targets import PYTHON, ROOT, raise_nofile


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
