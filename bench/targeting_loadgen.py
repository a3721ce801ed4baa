"""Open-loop load generator for bench/targeting.py, driven over stdin/stdout (one
JSON object a line each way), pinned to its own core by the orchestrator.

  {"cmd": "connect", "visitors": [{"port", "path", "headers", "resume"}], ...}
      open every visitor socket, `resume` (wait for `hello`), send one `session`
      tracking event each
  {"cmd": "run", "rate", "window", "per_frame", "fire_every", "cats", "promos"}
      page views at `rate` events/s, `per_frame` events a frame, round-robin over
      the visitors; every `fire_every`-th event is a page view on /promo/<k>/ (last
      in its frame), which completes a promo rule: the time from that frame's
      intended send time to the `offer` frame is the event-to-invitation latency.
      Each offer is answered `rejected` at once, so the visitor can be invited
      again (a visitor with an offer still pending gets no promo page).
  {"cmd": "stats"}    the bare baseline's event counter
  {"cmd": "quit"}
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import resource
import sys
import time

import orjson

from bench.loadstats import pct
from bench.wsclient import WSClient, connect

NS = 1_000_000_000
HOST = b"https://shop.example"


class Gen:
    def __init__(self) -> None:
        self.visitors: list[WSClient] = []
        self.pending: dict[int, int] = {}  # visitor -> intended ns of its promo frame
        self.lat: list[int] = []
        self.unexpected = 0
        self.offers = 0
        self.errors: dict[str, int] = {}
        self.error_samples: list[str] = []
        self.closed = 0
        self.close_samples: list[str] = []
        self.stats_waiter: asyncio.Future | None = None
        self.last_offer_ns = 0

    # callbacks
    def on_close(self, client: WSClient) -> None:
        self.closed += 1
        if len(self.close_samples) < 5:
            self.close_samples.append(f"visitor {client.tag} code {client.close_code}")
        if client.waiter is not None and not client.waiter.done():
            client.waiter.set_exception(ConnectionError(f"closed {client.close_code}"))

    def on_text(self, client: WSClient, payload: bytes) -> None:
        now = time.perf_counter_ns()
        waiter = client.waiter
        if waiter is not None and not waiter.done():
            frame = orjson.loads(payload)
            if frame.get("type") == client.want:
                waiter.set_result(frame)
                return
            if frame.get("type") == "error":
                waiter.set_exception(RuntimeError(payload[:200].decode()))
                return
        head = payload[:24]
        if b'"offer"' in head:
            frame = orjson.loads(payload)
            self.offers += 1
            self.last_offer_ns = now
            intended = self.pending.pop(client.tag, None)
            if intended is None:
                self.unexpected += 1
            else:
                self.lat.append(now - intended)
            client.send(
                b'{"type":"offer_response","offer":%d,"outcome":"rejected"}'
                % frame["offer"]["id"]
            )
        elif b'"error"' in head:
            frame = orjson.loads(payload)
            code = str(frame.get("code"))
            self.errors[code] = self.errors.get(code, 0) + 1
            if len(self.error_samples) < 5:
                self.error_samples.append(payload[:200].decode(errors="replace"))
        elif b'"stats"' in head and self.stats_waiter is not None:
            if not self.stats_waiter.done():
                self.stats_waiter.set_result(orjson.loads(payload)["events"])

    # commands
    async def cmd_connect(self, msg: dict) -> dict:
        specs = msg["visitors"]
        self.visitors = [None] * len(specs)  # type: ignore[list-item]
        gate = asyncio.Semaphore(msg.get("concurrency", 100))
        started = time.perf_counter()

        async def one(index: int) -> None:
            spec = specs[index]
            async with gate:
                client = await connect(
                    host="127.0.0.1",
                    port=spec["port"],
                    path=spec["path"],
                    headers=spec["headers"],
                    on_text=self.on_text,
                    on_close=self.on_close,
                    tag=index,
                    want="hello",
                    timeout=120,
                )
                client.send(spec["resume"].encode())
                await asyncio.wait_for(client.waiter, 120)
                client.waiter = None
                client.send(
                    b'{"type":"track","events":[{"kind":"session","session":'
                    b'"s%08d","landing":"%s/","referrer":"https://www.google.com/",'
                    b'"device":"desktop"}]}' % (index, HOST)
                )
                self.visitors[index] = client

        await asyncio.gather(*(one(i) for i in range(len(specs))))
        gc.collect()
        gc.freeze()
        return {"ok": True, "visitors": len(specs), "seconds": _since(started)}

    async def cmd_stats(self, msg: dict) -> dict:
        self.stats_waiter = asyncio.get_running_loop().create_future()
        self.visitors[0].send(b'{"type":"stats"}')
        events = await asyncio.wait_for(self.stats_waiter, 30)
        return {"ok": True, "events": events}

    async def cmd_run(self, msg: dict) -> dict:
        rate = float(msg["rate"])
        window = float(msg["window"])
        per = int(msg.get("per_frame", 1))
        fire_every = int(msg.get("fire_every", 100))
        cats = int(msg["cats"])
        promos = int(msg["promos"])
        rng = random.Random(msg.get("seed", 1))
        # Page suffixes (path, category, product json): category and product pages
        # of the rules' categories.
        pages = []
        for _ in range(4096):
            c = rng.randrange(cats)
            if rng.random() < 0.5:
                pages.append(b'/c%d/","category":"c%d"' % (c, c))
            else:
                p = rng.randrange(200)
                pages.append(
                    b'/c%d/p%d","category":"c%d","product":{"id":"p%d",'
                    b'"name":"Product %d","price":%d}' % (c, p, c, p, p, 1000 + p)
                )
        npages = len(pages)
        visitors = self.visitors
        nv = len(visitors)
        pending = self.pending
        frame_rate = rate / per
        total = int(frame_rate * window)
        interval = NS / frame_rate
        self.lat = []
        lags: list[int] = []
        self.unexpected = 0
        offers0, closed0 = self.offers, self.closed
        errors0 = dict(self.errors)
        abort_ns = int(msg.get("abort_after", 3.0) * NS)
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter_ns() + 20_000_000
        k = 0
        cursor = msg.get("cursor", 0)
        ev = 0
        fires = fire_debt = 0
        aborted = None
        skipped_busy = 0
        while k < total:
            now = time.perf_counter_ns()
            if pending and now - next(iter(pending.values())) > abort_ns:
                aborted = round((now - t0) / NS, 2)
                break
            due = min(total, int((now - t0) / interval) + 1)
            while k < due:
                intended = t0 + int(k * interval)
                vi = cursor % nv
                cursor += 1
                parts = []
                for _ in range(per):
                    ev += 1
                    if ev % fire_every == 0:
                        fire_debt += 1
                    parts.append(
                        b'{"kind":"page_view","session":"s%08d","url":"%s%s,'
                        b'"title":"Page"}' % (vi, HOST, pages[ev % npages])
                    )
                if fire_debt:
                    if vi in pending:
                        skipped_busy += 1
                    else:
                        fire_debt -= 1
                        fires += 1
                        parts[-1] = (
                            b'{"kind":"page_view","session":"s%08d","url":"%s/promo/'
                            b'%d/x","category":"promo","title":"Promo"}'
                            % (vi, HOST, fires % promos)
                        )
                        pending[vi] = intended
                visitors[vi].send(b'{"type":"track","events":[%s]}' % b",".join(parts))
                lags.append(now - intended)
                k += 1
            delay = (t0 + k * interval - time.perf_counter_ns()) / NS
            await asyncio.sleep(max(delay, 0.001) if delay > 0 else 0)
        send_end = time.perf_counter_ns()
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        # Drain: wait for outstanding offers; give up after 3 s without one.
        drain_start = time.perf_counter()
        last, last_change = -1, drain_start
        while pending:
            await asyncio.sleep(0.01)
            now_s = time.perf_counter()
            if self.offers != last:
                last, last_change = self.offers, now_s
            elif now_s - last_change > msg.get("stall", 3.0):
                break
            if now_s - drain_start > msg.get("drain_max", 30.0):
                break
        missing = len(pending)
        pending.clear()
        send_seconds = max((send_end - t0) / NS, 1e-3)
        lg_cpu = (
            usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime
        ) / send_seconds
        lat = sorted(self.lat)
        lags.sort()
        errors = {
            code: n - errors0.get(code, 0)
            for code, n in self.errors.items()
            if n - errors0.get(code, 0)
        }
        return {
            "ok": True,
            "rate": rate,
            "per_frame": per,
            "frames": k,
            "events": k * per,
            "send_seconds": round(send_seconds, 3),
            "achieved_rate": round(k * per / send_seconds, 1),
            "aborted_after": aborted,
            "fires": fires,
            "fires_skipped_busy": skipped_busy,
            "offers": self.offers - offers0,
            "offers_missing": missing,
            "offers_unexpected": self.unexpected,
            "p50_ms": pct(lat, 0.50),
            "p99_ms": pct(lat, 0.99),
            "max_ms": pct(lat, 1.0),
            "send_lag_p99_ms": pct(lags, 0.99),
            "loadgen_cpu": round(lg_cpu, 3),
            "errors": errors,
            "error_samples": self.error_samples[-3:],
            "closed": self.closed - closed0,
            "close_samples": self.close_samples[-3:],
            "drain_seconds": round(time.perf_counter() - drain_start, 2),
            "cursor": cursor,
        }

    async def cmd_quit(self, msg: dict) -> dict:
        for client in self.visitors:
            if client is not None:
                client.close()
        await asyncio.sleep(0.5)
        return {"ok": True}


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 2)


async def main() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gen = Gen()
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            break
        msg = json.loads(line)
        try:
            result = await getattr(gen, f"cmd_{msg['cmd']}")(msg)
        except Exception as exc:  # report to the orchestrator instead of dying mute
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
        if msg["cmd"] == "quit":
            break


if __name__ == "__main__":
    asyncio.run(main())
