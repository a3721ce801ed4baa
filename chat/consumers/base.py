"""Transport shared by both sockets: size limit, rate limit, JSON parsing, error
frames, and forwarding of published frames. Handlers are `frame_<type>` methods."""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings

from chat.consumers.frames import FrameError
from chat.models import origin_key
from core import realtime
from core.errors import ServiceError
from core.jsonutil import JSONDecodeError, dumps, loads
from core.ratelimit import TokenBucket

log = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_FLOOD = 4429

db = database_sync_to_async

_visitor_pool: ThreadPoolExecutor | None = None


def visitor_db(fn):
    """`db`, for a visitor socket's own reads that need no ordering with other
    sockets' work (resume, resync, heartbeat): on a small pool of threads of their own
    (`CHAT_VISITOR_DB_THREADS`), each with its connection. On the one shared ORM
    thread, thousands of returning visitors queued behind each other's PostgreSQL
    round trips with the CPU half idle (bench/storm.py)."""
    global _visitor_pool
    if _visitor_pool is None:
        _visitor_pool = ThreadPoolExecutor(
            settings.CHAT["VISITOR_DB_THREADS"], thread_name_prefix="visitor-db"
        )
    return database_sync_to_async(fn, thread_sensitive=False, executor=_visitor_pool)


def visitor_db_close(timeout: float = 10.0) -> None:
    """Close the pool's database connections and its threads (a test run, before it
    drops its database): one closing job per thread, held at a barrier so that each
    thread runs exactly one."""
    global _visitor_pool
    pool, _visitor_pool = _visitor_pool, None
    if pool is None:
        return
    from django.db import connections

    workers = pool._max_workers
    barrier = threading.Barrier(workers, timeout=timeout)

    def close() -> None:
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            pass
        connections.close_all()

    for _ in range(workers):
        pool.submit(close)
    pool.shutdown(wait=True)


def header(scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


def origin_of(scope) -> str | None:
    origin = header(scope, b"origin")
    return origin_key(origin) if origin else None


class JsonSocket(AsyncWebsocketConsumer):
    frame_rate_setting = "VISITOR_FRAME_RATE"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        rate, burst = settings.CHAT[self.frame_rate_setting]
        self.frame_bucket = TokenBucket(rate, burst)
        self.violations = 0
        self.joined: list[str] = []

    async def dispatch(self, message):
        # Channels closes stale DB connections before every handler (a thread hop
        # per frame); our DB work goes through database_sync_to_async, which does
        # that itself, so the hop is skipped here.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def join(self, group: str) -> None:
        await self.channel_layer.group_add(group, self.channel_name)
        self.joined.append(group)

    async def websocket_disconnect(self, message):
        for group in self.joined:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception:
                log.debug("group_discard failed for %s", group, exc_info=True)
        await self.disconnect(message.get("code"))
        raise StopConsumer()

    async def send_json(self, frame: dict) -> None:
        await self.send(text_data=dumps(frame))

    async def send_error(self, code: str, message: str, ref=None) -> None:
        frame = {"type": "error", "code": code, "message": message}
        if ref is not None:
            frame["ref"] = ref
        await self.send_json(frame)

    async def flood(self, code: str, message: str, ref=None) -> bool:
        """Count a violation; close the socket once a client keeps flooding."""
        self.violations += 1
        if self.violations > settings.CHAT["FLOOD_CLOSE_AFTER"]:
            await self.close(code=CLOSE_FLOOD)
            return True
        await self.send_error(code, message, ref)
        return False

    async def receive(self, text_data=None, bytes_data=None):
        if text_data is None:
            await self.send_error("bad_frame", "Send JSON text frames.")
            return
        if len(text_data) > settings.CHAT["MAX_FRAME_BYTES"]:
            await self.flood("too_large", "Frame is larger than the limit.")
            return
        if not self.frame_bucket.take():
            await self.flood("rate_limited", "Too many frames; slow down.")
            return
        try:
            data = loads(text_data)
        except JSONDecodeError:
            await self.send_error("bad_json", "Frame is not valid JSON.")
            return
        kind = data.get("type") if isinstance(data, dict) else None
        if not isinstance(kind, str) or len(kind) > 32:
            await self.send_error("bad_frame", "Frame must be an object with a 'type'.")
            return
        handler = self.frame_handler(kind) if kind.isidentifier() else None
        if handler is None:
            await self.send_error("unknown_type", f"Unknown frame type '{kind}'.")
            return
        ref = data.get("ref") if isinstance(data.get("ref"), (str, int)) else None
        if ref is None and isinstance(data.get("client_id"), str):
            ref = data["client_id"][:64]  # an error about a send names the send
        try:
            await handler(data)
        except FrameError as exc:
            await self.send_error(exc.code, exc.message, ref)
        except ServiceError as exc:
            await self.send_error(exc.code, exc.message, ref)
        except Exception:
            # The database or Redis failed under this frame: nothing was acknowledged,
            # so the client may resend (same client_id); the socket stays open.
            log.exception("frame %s failed", kind)
            await self.send_error("unavailable", "Temporarily unavailable; retry.", ref)

    def frame_handler(self, kind: str):
        """The coroutine handling client frames of this type, or None."""
        return getattr(self, f"frame_{kind}", None)

    async def chat_frame(self, event):
        meta = event.get("meta")
        if meta is not None:
            self.on_meta(meta)
        await self.send(text_data=event["text"])

    def on_meta(self, meta: dict) -> None:
        """Keep what the socket needs to know of a conversation's state."""

    async def layer_resubscribed(self, event):
        """The channel layer is back on Redis after losing it (core/channel_layer.py):
        frames published meanwhile never came. Push an unasked `pong`, so the client
        compares seqs and syncs now instead of at its next heartbeat."""
        try:
            await self.send_resync_pong()
        except Exception:
            log.warning("resync pong failed", exc_info=True)

    async def send_resync_pong(self) -> None:
        """The socket's `pong`, when it has something to compare."""

    @staticmethod
    def bind_loop() -> None:
        realtime.bind_loop()
