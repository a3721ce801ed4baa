"""Closed-loop HTTP client of bench/leads.py.

Runs pinned to its own core (`taskset`), driven one JSON line at a time on stdin,
answering one JSON line per command. `run` keeps `concurrency` workers (threads,
one keep-alive connection each) sending requests back to back for `seconds` (and
at least `min_requests`), after `warmup` unmeasured requests, and returns the
latency percentiles, throughput, its own CPU and the server's peak RSS. Kinds:

- get: GET `path`;
- cursor: GET `path`, then follow the `next` link; latencies of pages 2..`pages`;
- export: GET `path`, read the whole stream; time to first body byte, bytes, rows;
- form: POST a new valid lead (distinct idempotency key and phone per request);
- replay: POST the same body and key again and again (after one first post).
"""

from __future__ import annotations

import http.client
import itertools
import json
import math
import resource
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

READ = 65536


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))
    return round(ordered[index], 2)


def rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class Worker:
    def __init__(self, cmd: dict, index: int, phones) -> None:
        self.cmd = cmd
        self.index = index
        self.phones = phones
        self.conn: http.client.HTTPConnection | None = None
        self.http = 0
        self.latencies: list[float] = []
        self.ttfb: list[float] = []
        self.bytes = 0
        self.rows = 0
        self.errors = 0
        self.first_error = ""
        self.sample: dict = {}

    def _request(self, method: str, path: str, body: bytes | None = None):
        headers = dict(self.cmd.get("headers", {}))
        if body is not None:
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(
                    "127.0.0.1", self.cmd["port"], timeout=300
                )
            try:
                self.conn.request(method, path, body=body, headers=headers)
                return self.conn.getresponse()
            except (http.client.HTTPException, OSError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _form_body(self) -> bytes:
        form = self.cmd["form"]
        if self.cmd["kind"] == "replay":
            n, key = form["phone_base"], f"{form['key_prefix']}-replay"
        else:
            n = form["phone_base"] + next(self.phones)
            key = f"{form['key_prefix']}-{n}"
        body = {
            "site": form["site"],
            "idempotency_key": key,
            "name": "김서연" if n % 3 else "Grace Park",
            "phone": f"010-9{n // 10000 % 1000:03d}-{n % 10000:04d}",
            "email": f"form{n}@example.com" if n % 2 else "",
            "message": "상담 가능한 시간에 연락 부탁드립니다.",
            "lang": "ko",
            "consent": {
                "collection": True,
                "marketing": bool(n % 4 == 0),
                "notice_version": form["notice_version"],
            },
            "inflow": {"utm_source": "naver", "utm_medium": "cpc"},
        }
        return json.dumps(body).encode()

    def once(self, measured: bool) -> None:
        kind, path = self.cmd["kind"], self.cmd["path"]
        pages = self.cmd.get("pages", 1) if kind == "cursor" else 1
        for page in range(1, pages + 1):
            body = self._form_body() if kind in ("form", "replay") else None
            start = time.perf_counter()
            resp = self._request("POST" if body else "GET", path, body)
            self.http += 1
            first = None
            chunks = []
            while True:
                chunk = resp.read(READ if kind == "export" else None)
                if first is None:
                    first = time.perf_counter()
                if not chunk:
                    break
                chunks.append(chunk)
                if kind != "export":
                    break
            elapsed = (time.perf_counter() - start) * 1000
            data = b"".join(chunks)
            ok = 200 <= resp.status < 300
            if not ok:
                self.errors += 1
                self.first_error = self.first_error or f"{resp.status} {data[:300]!r}"
            if not self.sample:
                self.sample = {"status": resp.status, "bytes": len(data)}
                if kind != "export" and data[:1] == b"{":
                    payload = json.loads(data)
                    self.sample["results"] = len(payload.get("results") or [])
                    self.sample["has_next"] = bool(payload.get("next"))
                    self.sample["body"] = data[:200].decode(errors="replace")
            if kind == "cursor":
                if not ok:
                    return
                url = json.loads(data).get("next")
                if not url:
                    return
                parts = urlsplit(url)
                path = f"{parts.path}?{parts.query}"
                if page == 1:
                    continue  # the first page is the plain list; pages 2.. count
            if measured:
                self.latencies.append(elapsed)
                if kind == "export":
                    self.ttfb.append((first - start) * 1000)
                    self.bytes += len(data)
                    self.rows += max(0, data.count(b"\n") - 1)


def run(cmd: dict) -> dict:
    phones = itertools.count()
    warm = Worker(cmd, -1, phones)
    for _ in range(cmd.get("warmup", 1)):
        warm.once(measured=False)
    workers = [Worker(cmd, i, phones) for i in range(cmd["concurrency"])]
    lock = threading.Lock()
    done = [0]
    started = time.perf_counter()
    deadline = started + cmd["seconds"]
    peak = [rss_kib(cmd["server_pid"])]
    stop = threading.Event()

    def sample_rss() -> None:
        while not stop.wait(0.1):
            peak[0] = max(peak[0], rss_kib(cmd["server_pid"]))

    def loop(worker: Worker) -> None:
        while True:
            with lock:
                more = done[0] < cmd.get("max_requests", 10**9) and (
                    time.perf_counter() < deadline
                    or done[0] < cmd.get("min_requests", 1)
                )
                if not more:
                    return
                done[0] += 1
            try:
                worker.once(measured=True)
            except Exception as exc:  # noqa: BLE001 - counted and reported
                worker.errors += 1
                worker.first_error = worker.first_error or repr(exc)
                time.sleep(0.05)

    usage0 = resource.getrusage(resource.RUSAGE_SELF)
    sampler = threading.Thread(target=sample_rss, daemon=True)
    sampler.start()
    threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    stop.set()
    usage1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage1.ru_utime - usage0.ru_utime) + (usage1.ru_stime - usage0.ru_stime)
    lat = [x for w in workers for x in w.latencies]
    out = {
        "requests": len(lat),
        # Every HTTP request in the window, the warm-up ones and cursor page 1 too.
        "http_requests": sum(w.http for w in [warm, *workers]),
        "errors": sum(w.errors for w in workers),
        "first_error": next((w.first_error for w in workers if w.first_error), ""),
        "seconds": round(wall, 3),
        "rps": round(len(lat) / wall, 2) if wall else 0,
        "p50": percentile(lat, 50),
        "p95": percentile(lat, 95),
        "p99": percentile(lat, 99),
        "max": round(max(lat), 2) if lat else None,
        "client_cpu": round(cpu / wall, 3) if wall else 0,
        "server_rss_peak_kib": peak[0],
        "sample": warm.sample,
    }
    if cmd["kind"] == "export":
        total_bytes = sum(w.bytes for w in workers)
        total_rows = sum(w.rows for w in workers)
        out["ttfb_p50"] = percentile([x for w in workers for x in w.ttfb], 50)
        out["rows_per_request"] = total_rows // max(1, len(lat))
        out["mb_per_request"] = round(total_bytes / max(1, len(lat)) / 1e6, 2)
        out["rows_per_s"] = round(total_rows / wall) if wall else 0
        out["mb_per_s"] = round(total_bytes / wall / 1e6, 2) if wall else 0
    for w in [warm, *workers]:
        if w.conn is not None:
            w.conn.close()
    return out


def main() -> None:
    for line in sys.stdin:
        cmd = json.loads(line)
        if cmd["cmd"] == "quit":
            break
        try:
            result = run(cmd)
        except Exception as exc:  # noqa: BLE001 - reported to the orchestrator
            result = {"fatal": repr(exc)}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
