"""Baseline (a): the bare relay, the ceiling of a Python WebSocket relay.

One process on the `websockets` library, no persistence, no channel layer: a visitor's
frame is parsed, and the same three frames our server produces (the message to the
counselor, its echo to the visitor's socket, the ack) are written straight to the
sockets held in this process. It speaks the subset of our protocol the load generator
uses: /ws/agent/?a=K and /ws/visitor/?v=I&a=K, `resume` -> `hello`, `send` -> `ack`,
`sync` -> an empty `history`.

    python bench/baselines/bare_relay.py --port 8151
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import resource
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import orjson
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

agents: dict[str, ServerConnection] = {}
ids = itertools.count(1)


def query(ws: ServerConnection) -> dict[str, str]:
    parts = urlsplit(ws.request.path)
    return {k: v[0] for k, v in parse_qs(parts.query).items()}


async def agent(ws: ServerConnection, key: str) -> None:
    agents[key] = ws
    try:
        await ws.send(orjson.dumps({"type": "hello"}).decode())
        async for _ in ws:
            pass
    finally:
        if agents.get(key) is ws:
            del agents[key]


async def visitor(ws: ServerConnection, visitor_id: int, agent_key: str) -> None:
    seqs = itertools.count(1)
    async for text in ws:
        data = orjson.loads(text)
        kind = data.get("type")
        if kind == "resume":
            await ws.send(
                orjson.dumps({"type": "hello", "visitor": visitor_id}).decode()
            )
            continue
        if kind == "sync":  # the reconnect-storm benchmark's resync (no record)
            await ws.send('{"type":"history","messages":[],"has_more":false}')
            continue
        if kind != "send":
            continue
        message = {
            "id": next(ids),
            "conversation": visitor_id,
            "seq": next(seqs),
            "sender": {"kind": "visitor", "name": ""},
            "kind": "text",
            "body": data["body"],
            "client_id": data["client_id"],
            "created_at": datetime.now(UTC).isoformat(),
        }
        frame = orjson.dumps({"type": "message", "message": message}).decode()
        target = agents.get(agent_key)
        if target is not None:
            try:
                await target.send(frame)
            except ConnectionClosed:
                pass
        await ws.send(frame)
        ack = {
            "type": "ack",
            "client_id": message["client_id"],
            "id": message["id"],
            "seq": message["seq"],
        }
        await ws.send(orjson.dumps(ack).decode())


async def handler(ws: ServerConnection) -> None:
    params = query(ws)
    path = urlsplit(ws.request.path).path
    try:
        if path == "/ws/agent/":
            await agent(ws, params["a"])
        elif path == "/ws/visitor/":
            await visitor(ws, int(params["v"]), params["a"])
    except ConnectionClosed:
        pass


async def main(port: int) -> None:
    async with serve(
        handler, "127.0.0.1", port, compression=None, max_queue=64, backlog=1024
    ) as server:
        await server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(main(args.port))
