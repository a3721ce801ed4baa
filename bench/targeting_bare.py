"""Baseline for bench/targeting.py: a bare ASGI WebSocket handler under the same
daphne. It parses each JSON frame and drops it: `resume` -> `hello`; `track` counts
its events, and a page view on a /promo/ path answers an `offer` frame at once (the
least a server can do to turn an event into an invitation); `stats` -> the count.
No Django, no Channels, no database.

    daphne -e tcp:port=8151:interface=127.0.0.1 bench.targeting_bare:application
"""

from __future__ import annotations

import itertools

import orjson

events = 0
ids = itertools.count(1)


async def websocket(scope, receive, send) -> None:
    global events
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "websocket.connect":
            await send({"type": "websocket.accept"})
            continue
        if kind == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            continue
        data = orjson.loads(text)
        frame = data.get("type")
        if frame == "track":
            batch = data.get("events") or []
            events += len(batch)
            for event in batch:
                if "/promo/" in event.get("url", ""):
                    offer = {"id": next(ids), "rule": 0, "kind": "banner"}
                    out = orjson.dumps({"type": "offer", "offer": offer})
                    await send({"type": "websocket.send", "text": out.decode()})
        elif frame == "resume":
            await send({"type": "websocket.send", "text": '{"type":"hello"}'})
        elif frame == "stats":
            out = orjson.dumps({"type": "stats", "events": events}).decode()
            await send({"type": "websocket.send", "text": out})


async def application(scope, receive, send) -> None:
    if scope["type"] == "websocket":
        await websocket(scope, receive, send)
    elif scope["type"] == "http":
        await receive()
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
    elif scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
