"""Open-loop load generator for bench/relay.py.

Driven over stdin/stdout, one JSON object a line each way, so the orchestrator can
read the servers' memory between phases. Commands:

  {"cmd": "agents", "agents": [{"port", "path", "headers"}], "concurrency": n}
  {"cmd": "visitors", "visitors": [{"port", "path", "headers", "resume", "agent"}], ...}
  {"cmd": "run", "rate": r, "window": s, "step": id, "groups": {"name": [pid]}}
  {"cmd": "quit"}

Every message a visitor sends carries its visitor index, a per-visitor sequence
number, the step id and its *intended* send time (t0 + k / rate, on this process's
monotonic clock), so a generator that falls behind shows up as latency instead of
hiding it. Counselor sockets parse each `message` frame and record
receive time - intended time, duplicates, reordering and misrouting; whatever was
sent in a step and not received by the end of its drain counts as lost.
"""

from __future__ import annotations

import asyncio
import gc
import json
import resource
import sys
import time

import orjson

from bench.loadstats import GcPauses, Step, pct
from bench.procstat import CpuMeter
from bench.wsclient import WSClient, connect

NS = 1_000_000_000


class LoadGen:
    def __init__(self) -> None:
        self.gc = GcPauses()
        self.agents: list[WSClient] = []
        self.visitors: list[WSClient] = []
        self.agent_specs: list[dict] = []
        self.visitor_specs: list[dict] = []
        self.visitor_agent: list[int] = []
        self.vseq: list[int] = []
        self.last_recv: list[int] = []
        self.seen: set[int] = set()
        self.steps: dict[int, Step] = {}
        self.warm_recv = 0
        self.errors = 0
        self.error_samples: list[str] = []
        self.closed = 0
        self.close_samples: list[str] = []
        self.cursor = 0
        self.pad = b"x" * 60
        self.last_frame_ns = 0
        self.loop_name = "asyncio"
        self.acks = 0

    # callbacks (run on the event loop, must stay cheap)
    def on_close(self, client: WSClient) -> None:
        self.closed += 1
        if len(self.close_samples) < 5:
            self.close_samples.append(f"tag {client.tag} code {client.close_code}")
        if client.waiter is not None and not client.waiter.done():
            client.waiter.set_exception(ConnectionError(f"closed {client.close_code}"))

    def _setup_frame(self, client: WSClient, payload: bytes) -> bool:
        """While a client waits for a frame type during setup, hand it over."""
        waiter = client.waiter
        if waiter is None or waiter.done():
            return False
        frame = orjson.loads(payload)
        kind = frame.get("type")
        if kind == client.want:
            waiter.set_result(frame)
        elif kind == "error":
            waiter.set_exception(RuntimeError(payload[:200].decode()))
        return kind == client.want

    def agent_text(self, client: WSClient, payload: bytes) -> None:
        now = self.last_frame_ns = time.perf_counter_ns()
        if self._setup_frame(client, payload):
            return
        frame = orjson.loads(payload)
        if frame.get("type") != "message":
            return
        parts = frame["message"]["body"].split("|", 5)
        if parts[0] == "w":
            self.warm_recv += 1
            return
        if parts[0] != "m":
            return
        vi, seq, step_id, intended = (int(p) for p in parts[1:5])
        step = self.steps.get(step_id)
        if step is None:
            return
        key = vi << 32 | seq
        if key in self.seen:
            step.dup += 1
            return
        self.seen.add(key)
        if seq < self.last_recv[vi]:
            step.reorder += 1
        else:
            self.last_recv[vi] = seq
        if self.visitor_agent[vi] != client.tag:
            step.misrouted += 1
        step.recv += 1
        step.lat.append(now - intended)

    def visitor_text(self, client: WSClient, payload: bytes) -> None:
        if self._setup_frame(client, payload):
            return
        head = payload[:24]
        if b'"ack"' in head:
            self.acks += 1
            client.acked += 1
        elif b'"error"' in head:
            self.errors += 1
            if len(self.error_samples) < 5:
                self.error_samples.append(payload[:200].decode(errors="replace"))

    # setup
    async def _open(self, spec: dict, tag: int, on_text, want: str) -> WSClient:
        return await connect(
            host="127.0.0.1",
            port=spec["port"],
            path=spec["path"],
            headers=spec["headers"],
            on_text=on_text,
            on_close=self.on_close,
            tag=tag,
            want=want,
        )

    async def expect(self, client: WSClient, kind: str, send: bytes | None, timeout):
        client.want = kind
        client.waiter = asyncio.get_running_loop().create_future()
        if send is not None:
            client.send(send)
        try:
            return await asyncio.wait_for(client.waiter, timeout)
        finally:
            client.waiter = None

    async def open_agent(self, index: int) -> None:
        client = await self._open(
            self.agent_specs[index], index, self.agent_text, "hello"
        )
        await asyncio.wait_for(client.waiter, 60)
        client.waiter = None
        self.agents[index] = client

    async def open_visitor(self, index: int) -> None:
        spec = self.visitor_specs[index]
        client = await self._open(spec, index, self.visitor_text, "hello")
        client.send(spec["resume"].encode())
        await asyncio.wait_for(client.waiter, 60)
        client.waiter = None
        self.visitors[index] = client

    async def cmd_agents(self, msg: dict) -> dict:
        started = time.perf_counter()
        gate = asyncio.Semaphore(msg.get("concurrency", 20))
        self.agent_specs = msg["agents"]
        self.agents = [None] * len(self.agent_specs)  # type: ignore[list-item]

        async def one(index: int) -> None:
            async with gate:
                await self.open_agent(index)

        await asyncio.gather(*(one(i) for i in range(len(self.agent_specs))))
        return {"ok": True, "agents": len(self.agents), "seconds": _since(started)}

    async def cmd_visitors(self, msg: dict) -> dict:
        specs = self.visitor_specs = msg["visitors"]
        n = len(specs)
        self.visitors = [None] * n  # type: ignore[list-item]
        self.visitor_agent = [s["agent"] for s in specs]
        self.vseq = [0] * n
        self.last_recv = [0] * n
        gate = asyncio.Semaphore(msg.get("concurrency", 100))
        started = time.perf_counter()

        async def one(index: int) -> None:
            async with gate:
                await self.open_visitor(index)

        await asyncio.gather(*(one(i) for i in range(n)))
        connected = _since(started)
        # Warm every socket with one message each way, so per-connection state on
        # the server (writer, subscriptions, buffers) exists before memory is read.
        started = time.perf_counter()
        self.warm_recv = 0

        warm_gate = asyncio.Semaphore(msg.get("warm_concurrency", 2))

        async def warm(index: int) -> None:
            async with warm_gate:
                frame = b'{"type":"send","client_id":"w","body":"w|%d|0|0|0"}' % index
                await self.expect(self.visitors[index], "ack", frame, 60)

        await asyncio.gather(*(warm(i) for i in range(n)))
        # Every send was acked; wait for deliveries until 3 s pass without one.
        last, last_change = -1, time.perf_counter()
        while self.warm_recv < n and time.perf_counter() - last_change < 3.0:
            if self.warm_recv != last:
                last, last_change = self.warm_recv, time.perf_counter()
            await asyncio.sleep(0.05)
        gc.collect()
        gc.freeze()
        return {
            "ok": True,
            "visitors": n,
            "connect_seconds": connected,
            "warm_seconds": _since(started),
            "warm_delivered": self.warm_recv,
        }

    # measurement
    async def cmd_run(self, msg: dict) -> dict:
        if "body_bytes" in msg:
            # body = "m|vi|seq|step|t_ns|" (about 40 chars) + padding
            self.pad = b"x" * max(1, msg["body_bytes"] - 40)
        rate = float(msg["rate"])
        window = float(msg["window"])
        step_id = int(msg["step"])
        step = self.steps[step_id] = Step()
        visitors = self.visitors
        nv = len(visitors)
        vseq = self.vseq
        pad = self.pad
        lag = step.lag
        total = int(rate * window)
        interval = NS / rate
        errors0, closed0, acks0 = self.errors, self.closed, self.acks
        self.gc.pauses.clear()
        meter = CpuMeter({k: list(v) for k, v in msg.get("groups", {}).items()})
        usage0 = resource.getrusage(resource.RUSAGE_SELF)
        meter.start()
        t0 = time.perf_counter_ns() + 20_000_000
        k = 0
        # A server that cannot keep up would build a backlog that takes minutes to
        # drain and spoils the next steps: stop once `abort_after` seconds of
        # traffic are unacknowledged or undelivered. Such a step fails anyway.
        backlog_limit = max(200, int(rate * msg.get("abort_after", 3.0)))
        aborted = None
        while k < total:
            if k - (self.acks - acks0) > backlog_limit or k - step.recv > backlog_limit:
                aborted = round((time.perf_counter_ns() - t0) / NS, 2)
                break
            now = time.perf_counter_ns()
            due = min(total, int((now - t0) / interval) + 1)
            while k < due:
                intended = t0 + int(k * interval)
                vi = self.cursor % nv
                self.cursor += 1
                seq = vseq[vi] + 1
                vseq[vi] = seq
                client = visitors[vi]
                client.send(
                    b'{"type":"send","client_id":"%d","body":"m|%d|%d|%d|%d|%s"}'
                    % (seq, vi, seq, step_id, intended, pad)
                )
                client.sent += 1
                lag.append(now - intended)
                k += 1
            delay = (t0 + k * interval - time.perf_counter_ns()) / NS
            # Timers tick in whole milliseconds (epoll, libuv); a shorter sleep
            # would spin. Sends due within the tick go together, each still
            # stamped with its own intended time.
            await asyncio.sleep(max(delay, 0.001) if delay > 0 else 0)
        send_end = time.perf_counter_ns()
        usage1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = meter.stop()
        step.sent = k
        # Drain: wait for stragglers, give up after 2 s without progress.
        drain_start = time.perf_counter()
        last, last_change = -1, drain_start
        while step.recv < step.sent:
            await asyncio.sleep(0.01)
            now_s = time.perf_counter()
            if step.recv != last:
                last, last_change = step.recv, now_s
            elif now_s - last_change > msg.get("stall", 2.0):
                break
            if now_s - drain_start > msg.get("drain_max", 30.0):
                break
        drain = time.perf_counter() - drain_start
        lat = sorted(step.lat)
        lags = sorted(step.lag)
        send_seconds = max((send_end - t0) / NS, 1e-3)
        lg_cpu = (
            usage1.ru_utime + usage1.ru_stime - usage0.ru_utime - usage0.ru_stime
        ) / send_seconds
        result = {
            "ok": True,
            "rate": rate,
            "window": window,
            "sent": step.sent,
            "aborted_after": aborted,
            "recv": step.recv,
            "lost": step.sent - step.recv,
            "acked": self.acks - acks0,
            "dup": step.dup,
            "reorder": step.reorder,
            "misrouted": step.misrouted,
            "errors": self.errors - errors0,
            "closed": self.closed - closed0,
            "error_samples": self.error_samples[-3:],
            "close_samples": self.close_samples[-3:],
            "achieved_rate": round(step.sent / send_seconds, 1),
            "p50": pct(lat, 0.50),
            "p90": pct(lat, 0.90),
            "p99": pct(lat, 0.99),
            "p999": pct(lat, 0.999),
            "max": pct(lat, 1.0),
            "send_lag_p99": pct(lags, 0.99),
            "send_lag_max": pct(lags, 1.0),
            "loadgen_cpu": round(lg_cpu, 3),
            "loadgen_gc_pauses": len(self.gc.pauses),
            "loadgen_gc_longest_ms": round(max(self.gc.pauses, default=0.0), 1),
            "send_seconds": round(send_seconds, 3),
            "event_loop": self.loop_name,
            "drain_seconds": round(drain, 2),
            **cpu,
        }
        # Free the step's samples; keep only what detects late duplicates.
        step.lat = []
        step.lag = []
        return result

    def unacked(self) -> int:
        return sum(c.sent - c.acked for c in self.visitors if not c.closed)

    async def cmd_quiet(self, msg: dict) -> dict:
        """Wait until every send on a live socket is acked (the server worked
        through its backlog: all three servers ack after processing) and
        counselors received nothing for `quiet` seconds, so an overloaded step
        does not leak into the next one. Then reopen any socket the server
        closed, so the next step has the whole population again."""
        started = time.perf_counter()
        closed0 = self.closed
        quiet_ns = int(msg.get("quiet", 1.0) * NS)
        while time.perf_counter() - started < msg.get("max", 60.0):
            if (
                self.unacked() == 0
                and time.perf_counter_ns() - self.last_frame_ns > quiet_ns
            ):
                break
            await asyncio.sleep(0.05)
        unacked = self.unacked()
        dead_agents = [i for i, c in enumerate(self.agents) if c.closed]
        dead_visitors = [i for i, c in enumerate(self.visitors) if c.closed]
        results = await asyncio.gather(
            *(self.open_agent(i) for i in dead_agents),
            *(self.open_visitor(i) for i in dead_visitors),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        return {
            "ok": not failed,
            "seconds": _since(started),
            "unacked": unacked,
            "closed_during": self.closed - closed0,
            "reopened": len(results) - len(failed),
            "reopen_failed": len(failed),
        }

    async def cmd_quit(self, msg: dict) -> dict:
        for client in self.visitors + self.agents:
            if client is not None:
                client.close()
        await asyncio.sleep(0.2)
        return {"ok": True}


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 2)


async def main() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    gen = LoadGen()
    gen.loop_name = type(asyncio.get_running_loop()).__module__.split(".")[0]
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line:
            break
        msg = json.loads(line)
        handler = getattr(gen, f"cmd_{msg['cmd']}")
        try:
            result = await handler(msg)
        except Exception as exc:  # report to the orchestrator instead of dying mute
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
        if msg["cmd"] == "quit":
            break


if __name__ == "__main__":
    asyncio.run(main())
