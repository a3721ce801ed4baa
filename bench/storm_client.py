"""Load generator of the reconnect-storm benchmark (bench/storm.py drives it).

Plays N widgets, as far as connecting goes, with the widget's own rules
(chat/static/chat/widget/30-socket.js): resume on open, wait up to 15 s for `hello`,
back off 0.5 s * 2^attempt (half fixed, half random, at most 15 s) after a failure,
come back after the server's hint (+-10%) after a `retry` frame and close 4503. A
visitor is *back* when the `history` answering its `sync` arrives.

Reads a JSON spec on stdin's first line, connects everyone (phase "connect"), prints
one JSON line, waits for the line "storm" (the driver kills the process meanwhile),
then counts every visitor's attempts and their outcomes until all are back, and
prints the results as one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wsclient import HandshakeError, WSClient  # noqa: E402

HELLO_TIMEOUT = 15.0
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 15.0
HOST = "127.0.0.1"


def bucket(seconds: float) -> str:
    for limit in (1, 2, 4, 6, 10):
        if seconds < limit:
            return f"<{limit} s"
    return ">=10 s"


class Widget:
    def __init__(self, run: Run, spec: dict) -> None:
        self.run = run
        self.spec = spec
        self.attempt = 0
        self.retry_after = 0.0
        self.back_at: float | None = None
        self.attempts = 0
        self.done = asyncio.Event()

    def backoff(self, code: int | None) -> float:
        if code == 4503:
            hint = self.retry_after or BACKOFF_FIRST
            self.attempt = max(0, self.attempt - 1)
            return hint * (0.9 + random.random() * 0.2)
        base = min(BACKOFF_MAX, BACKOFF_FIRST * 2**self.attempt)
        self.attempt += 1
        return base / 2 + random.random() * base / 2

    async def until_back(self, port: int) -> None:
        """Connect until `history` arrives; each failed attempt is counted."""
        while True:
            self.attempts += 1
            outcome, code = await self.try_once(port)
            if outcome == "back":
                self.back_at = time.monotonic()
                return
            self.run.outcomes[outcome] += 1
            await asyncio.sleep(self.backoff(code))

    async def try_once(self, port: int) -> tuple[str, int | None]:
        loop = asyncio.get_running_loop()
        result: asyncio.Future = loop.create_future()
        self.retry_after = 0.0

        def on_text(client: WSClient, payload: bytes) -> None:
            frame = orjson.loads(payload)
            kind = frame.get("type")
            if kind == "hello":
                # As the widget: resync the open conversation from the last seq held.
                conversation = (frame.get("conversation") or {}).get("id") or 0
                sync = {"type": "sync", "conversation": conversation, "after_seq": 0}
                client.send(orjson.dumps(sync))
            elif kind == "history" and not result.done():
                result.set_result(("back", None))
            elif kind == "retry":
                self.retry_after = float(frame.get("retry_after") or 0)

        def on_close(client: WSClient) -> None:
            if result.done():
                return
            code = client.close_code
            if code == 4503:
                result.set_result(("retry 4503", 4503))
            else:
                result.set_result((f"closed {code or 1006} before history", code))

        try:
            _, client = await loop.create_connection(
                lambda: WSClient(
                    host=HOST,
                    port=port,
                    path=self.spec["path"],
                    headers=self.spec["headers"],
                    on_text=on_text,
                    on_close=on_close,
                ),
                HOST,
                port,
            )
        except OSError:
            return "tcp connect refused", None
        began = time.monotonic()
        try:
            await asyncio.wait_for(client.opened, HELLO_TIMEOUT)
        except HandshakeError as exc:
            client.transport.abort()
            return f"handshake answered {str(exc)[9:12] or 'badly'}", None
        except TimeoutError:
            client.transport.abort()
            return "no handshake answer within 15 s", None
        except (ConnectionError, OSError):
            # Closed by the server before any HTTP answer; when says which limit.
            after = time.monotonic() - began
            return f"handshake dropped unanswered after {bucket(after)}", None
        client.send(self.spec["resume"].encode())
        try:
            outcome = await asyncio.wait_for(result, HELLO_TIMEOUT)
        except TimeoutError:
            client.transport.abort()
            return "no hello/history within 15 s", None
        if outcome[0] == "back":
            self.run.clients.append(client)
        return outcome


class Run:
    def __init__(self, spec: dict) -> None:
        self.spec = spec
        self.outcomes: Counter[str] = Counter()
        self.clients: list[WSClient] = []
        self.widgets = [Widget(self, v) for v in spec["visitors"]]

    async def phase(self, port: int, *, spread: tuple[float, float]) -> dict:
        self.outcomes.clear()
        for w in self.widgets:
            w.attempts = 0
            w.back_at = None
        started = time.monotonic()

        async def one(w: Widget) -> None:
            await asyncio.sleep(spread[0] + random.random() * (spread[1] - spread[0]))
            await w.until_back(port)

        tasks = [asyncio.create_task(one(w)) for w in self.widgets]
        agent_times = await self.counselors(port, started)
        await asyncio.wait_for(asyncio.gather(*tasks), self.spec["timeout"])
        backs = sorted(w.back_at - started for w in self.widgets)
        n = len(backs)
        return {
            "visitors": n,
            "all_back_s": round(backs[-1], 2),
            "p50_s": round(backs[n // 2], 2),
            "p95_s": round(backs[min(n - 1, int(n * 0.95))], 2),
            "attempts": sum(w.attempts for w in self.widgets),
            "failed": dict(self.outcomes),
            "visitors_with_failures": sum(1 for w in self.widgets if w.attempts > 1),
            "counselor_hello_s": agent_times,
        }

    async def counselors(self, port: int, started: float) -> list:
        """Counselors arriving in the storm, 0.2 s apart, each retrying every 0.5 s
        until its `hello` (as the console does): seconds from the storm's start."""

        async def one(spec: dict, delay: float):
            await asyncio.sleep(delay)
            spec = {**spec, "port": port}
            if "Origin" in spec["headers"]:
                spec["headers"] = {**spec["headers"], "Origin": f"http://{HOST}:{port}"}
            loop = asyncio.get_running_loop()
            while time.monotonic() - started < 120:
                got: asyncio.Future = loop.create_future()

                def on_text(client, payload, got=got):
                    if not got.done() and b'"hello"' in payload:
                        got.set_result(time.monotonic())

                def on_close(client, got=got):
                    if not got.done():
                        got.set_exception(ConnectionError("closed before hello"))

                try:
                    _, client = await loop.create_connection(
                        lambda: WSClient(
                            host=HOST,
                            port=port,
                            path=spec["path"],
                            headers=spec["headers"],
                            on_text=on_text,
                            on_close=on_close,
                        ),
                        HOST,
                        port,
                    )
                    await asyncio.wait_for(got, 30)
                    client.close()
                    return round(got.result() - started, 2)
                except (OSError, TimeoutError, HandshakeError, ConnectionError):
                    await asyncio.sleep(0.5)
            return "never"

        agents = self.spec.get("agents", [])
        return list(
            await asyncio.gather(
                *(one(spec, 0.2 * (k + 1)) for k, spec in enumerate(agents))
            )
        )


async def main() -> None:
    spec = json.loads(sys.stdin.readline())
    run = Run(spec)
    # Visitors arrive over a few seconds at first.
    connect = await run.phase(spec["port"], spread=(0.0, spec["connect_spread"]))
    print(json.dumps({"connected": connect}), flush=True)
    # The driver kills (and maybe restarts) the server, then says "storm".
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for client in run.clients:
        if client.transport is not None:
            client.transport.abort()
    run.clients.clear()
    # The widget's first reconnect after a lost socket: 0.25-0.5 s (its backoff).
    storm = await run.phase(spec["storm_port"], spread=(0.25, 0.5))
    print(json.dumps({"storm": storm}), flush=True)
    for client in run.clients:
        client.close()


if __name__ == "__main__":
    asyncio.run(main())
