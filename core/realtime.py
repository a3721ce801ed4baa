"""The one place that publishes real-time events.

Services call `publish(group, frame)` inside their transaction; the frame is serialised
once and handed to the channel layer only after the transaction commits, so nobody ever
sees an event that was rolled back. Redis is the doorbell: a publish that fails (Redis
down) is logged and dropped; the database is the record, and clients resync from it
(heartbeat carries the latest seq).

Delivery is ordered per process: frames go through one asyncio queue per event loop and
are written to Redis as one pipeline per drain (one round trip for many events) when the
layer is channels-redis' pub/sub layer; any other layer gets plain `group_send` calls.
Consumers receive `{"type": "chat.frame", "text": ...}` and forward the text as is.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from core.jsonutil import dumps

if TYPE_CHECKING:
    from redis import asyncio as aioredis

log = logging.getLogger(__name__)

FRAME_EVENT = "chat.frame"

Item = tuple[str, str, dict | None]  # (group, serialised frame, meta)


def _event(text: str, meta: dict | None) -> dict:
    event: dict[str, object] = {"type": FRAME_EVENT, "text": text}
    if meta is not None:
        event["meta"] = meta
    return event


class _Outbox:
    """Per-event-loop ordered publisher."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queue: asyncio.Queue[list[Item]] = asyncio.Queue()
        self.task = loop.create_task(self._drain())
        self._redis: aioredis.Redis | None = None
        self.layer = get_channel_layer()

    async def _drain(self) -> None:
        while True:
            items = list(await self.queue.get())
            while not self.queue.empty():
                items.extend(self.queue.get_nowait())
            try:
                await self._send(items)
            except Exception:  # Redis down: clients resync from the database.
                log.warning("dropped %d events: Redis unavailable", len(items))
                log.debug("publish failure", exc_info=True)
                client, self._redis = self._redis, None
                if client is not None:
                    try:
                        await client.aclose()
                    except Exception:
                        log.debug("closing the publisher failed", exc_info=True)

    async def _send(self, items: list[Item]) -> None:
        layer = self.layer
        prefix = getattr(layer, "_kwargs", {}).get("prefix")
        if prefix is None or not hasattr(layer, "serialize"):
            for group, text, meta in items:
                await layer.group_send(group, _event(text, meta))
            return
        if self._redis is None:
            from redis import asyncio as aioredis
            from redis.asyncio.retry import Retry
            from redis.backoff import NoBackoff

            host = layer._kwargs["hosts"][0]
            address = host["address"] if isinstance(host, dict) else host
            # One immediate retry (a pooled connection Redis closed when it
            # restarted), no backoff: while Redis is down a drain fails at once and
            # its frames are dropped instead of holding up the frames behind them.
            self._redis = aioredis.Redis.from_url(
                address,
                socket_timeout=5,
                socket_connect_timeout=2,
                max_connections=4,
                retry=Retry(NoBackoff(), 1),
            )
        pipe = self._redis.pipeline(transaction=False)
        for group, text, meta in items:
            pipe.publish(
                f"{prefix}__group__{group}", layer.serialize(_event(text, meta))
            )
        await pipe.execute()

    def put(self, items: list[Item]) -> None:
        self.queue.put_nowait(items)


_outboxes: dict[asyncio.AbstractEventLoop, _Outbox] = {}
_lock = threading.Lock()
_bound_loop: asyncio.AbstractEventLoop | None = None


def bind_loop(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Remember the server's event loop so sync code in worker threads can publish."""
    global _bound_loop
    _bound_loop = loop or asyncio.get_running_loop()


def _outbox(loop: asyncio.AbstractEventLoop) -> _Outbox:
    with _lock:
        for old in [lp for lp in _outboxes if lp.is_closed()]:
            del _outboxes[old]
        box = _outboxes.get(loop)
        if box is None:
            box = _outboxes[loop] = _Outbox(loop)
        return box


def send_now(items: list[Item]) -> None:
    """Queue already-committed frames; callable from any thread."""
    if not items:
        return
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:
        running = None
    if running is not None:
        _outbox(running).put(items)
        return
    loop = _bound_loop
    if loop is not None and loop.is_running() and not loop.is_closed():
        loop.call_soon_threadsafe(lambda: _outbox(loop).put(items))
        return
    # No server loop (Celery worker, management command, sync test): send directly.
    async_to_sync(_send_direct)(items)


async def _send_direct(items: list[Item]) -> None:
    layer = get_channel_layer()
    for group, text, meta in items:
        try:
            await layer.group_send(group, _event(text, meta))
        except Exception:
            log.warning("dropped real-time event for %s", group, exc_info=True)


def publish(group: str, frame: dict) -> None:
    """Publish `frame` to `group` once the current transaction commits."""
    publish_many([(group, frame)])


def publish_many(frames: Iterable[tuple[str, dict]]) -> None:
    """Frames may carry a `_meta` dict: it travels beside the text (for consumers
    that keep state, e.g. the current assignee) and is not sent to clients."""
    items = []
    for group, frame in frames:
        meta = frame.get("_meta")
        if meta is not None:
            frame = {k: v for k, v in frame.items() if k != "_meta"}
        items.append((group, dumps(frame), meta))
    if items:
        transaction.on_commit(lambda: send_now(items))


async def flush(loop: asyncio.AbstractEventLoop | None = None) -> None:
    """Wait until this loop's outbox is drained (tests and shutdown)."""
    box = _outboxes.get(loop or asyncio.get_running_loop())
    if box is None:
        return
    for _ in range(200):
        if box.queue.empty():
            await asyncio.sleep(0)
            return
        await asyncio.sleep(0.005)


def publish_ephemeral(group: str, frame: dict) -> None:
    """Publish now, outside any transaction (typing indicators: nothing to commit)."""
    send_now([(group, dumps(frame), None)])
