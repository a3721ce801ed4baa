"""channels-redis' pub/sub layer, with subscriptions that come back whole after Redis
restarts (issue 8).

`channels_redis.pubsub` (4.3, on redis-py 8) leaves reconnection to redis-py's
`PubSub`, and keeps three tables of what is subscribed (the layer's channels and
groups, the shard's `_subscribed_to`, redis-py's `PubSub.channels`) that an outage
pulls apart:

- A subscribe while Redis is down raises. `new_channel()` runs in Channels' consumer
  `__call__` before the handshake, so a new socket gets HTTP 500; `group_add()` after
  `accept()` closes it with 1011. A failed `group_add()` leaves the group in the
  layer's table but in neither of the others, so nothing ever subscribes it again:
  that socket stays deaf after Redis is back.
- The receive loop reconnects only when it polls, through redis-py's connect retry
  (10 tries, backoff up to 1 s) and then a 1 s sleep per failure, while consumers'
  subscribe calls reconnect the same connection from other tasks. Frames published in
  between (the publisher in `core.realtime` is back first) reach nobody, and nothing
  tells the sockets that they missed them.
- With `socket_timeout` None (needed: redis-py 8's 5 s default kills idle
  subscribers) and no health check, a connection that dies silently is never noticed.

Here each shard keeps one set, the channels this process wants, and one receive task
owns the subscriber connection: it connects a fresh client, subscribes everything in
the set before reading, reads, pings when the line is quiet and drops the connection
when the pong does not come, and after any failure starts over with a fresh client
(short backoff). Subscribing and unsubscribing only change the set (and tell the live
connection); they never raise because Redis is down. After a reconnect that followed
a failure, every channel of the process gets `{"type": "layer.resubscribed"}`, so
consumers can tell their clients to resync at once (`chat/consumers/base.py`).
"""

from __future__ import annotations

import asyncio
import logging
import uuid

from channels_redis.pubsub import RedisPubSubChannelLayer, RedisPubSubLoopLayer
from channels_redis.utils import (
    _close_redis,
    _wrap_close,
    create_pool,
    decode_hosts,
)
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger(__name__)

RESUBSCRIBED = {"type": "layer.resubscribed"}


class PubSubChannelLayer(RedisPubSubChannelLayer):
    """Drop-in for `channels_redis.pubsub.RedisPubSubChannelLayer`. Extra CONFIG:
    `ping_seconds` (a quiet subscriber connection is pinged this often, default 5),
    `pong_seconds` (and dropped when no answer came this long after, default 3),
    `reconnect_seconds` (the longest wait between reconnect attempts, default 0.5)."""

    def _get_layer(self):
        loop = asyncio.get_running_loop()
        layer = self._layers.get(loop)
        if layer is None:
            options = {**self._kwargs, "channel_layer": self}
            layer = self._layers[loop] = LoopLayer(*self._args, **options)
            _wrap_close(self, loop)
        return layer


class LoopLayer(RedisPubSubLoopLayer):
    def __init__(
        self,
        hosts=None,
        prefix="asgi",
        ping_seconds: float = 5.0,
        pong_seconds: float = 3.0,
        reconnect_seconds: float = 0.5,
        channel_layer=None,
        **kwargs,
    ):
        super().__init__(hosts=hosts, prefix=prefix, channel_layer=channel_layer)
        self._shards = [
            Shard(
                host,
                self,
                ping_seconds=ping_seconds,
                pong_seconds=pong_seconds,
                reconnect_seconds=reconnect_seconds,
            )
            for host in decode_hosts(hosts)
        ]

    async def _subscribe_to_channel(self, channel):
        self.channels[channel] = asyncio.Queue()
        await self._get_shard(channel).subscribe(channel)

    def resubscribed(self) -> None:
        """Tell every consumer of this process that it may have missed frames."""
        data = self.channel_layer.serialize(RESUBSCRIBED)
        for queue in self.channels.values():
            queue.put_nowait(data)


class Shard:
    """One Redis host: the wanted channels, a subscriber task and a publisher."""

    def __init__(
        self,
        host: dict,
        layer: LoopLayer,
        *,
        ping_seconds: float,
        pong_seconds: float,
        reconnect_seconds: float,
    ):
        # Errors surface here, not in redis-py's own reconnect-and-resubscribe:
        # the receive task starts over with a fresh client instead.
        self.host = {**host, "retry": Retry(NoBackoff(), 0)}
        self.host.setdefault("socket_connect_timeout", 2)
        self.layer = layer
        self.ping_seconds = ping_seconds
        self.pong_seconds = pong_seconds
        self.reconnect_seconds = reconnect_seconds
        # A channel of our own keeps the connection in subscribed mode, so it is
        # always read and a PING is always answered as a pub/sub `pong`.
        self.keepalive = f"{layer.prefix}__alive__{uuid.uuid4().hex}"
        self.wanted: set[str] = set()
        self._lock = asyncio.Lock()
        # The live subscriber, None while (re)connecting.
        self._pubsub: aioredis.client.PubSub | None = None
        self._task: asyncio.Task | None = None
        self._publisher: aioredis.Redis | None = None
        self.connects = 0
        self.failures = 0

    # -- the layer's interface --------------------------------------------------

    async def publish(self, channel, message):
        if self._publisher is None:
            self._publisher = aioredis.Redis(
                connection_pool=create_pool(
                    {**self.host, "retry": Retry(NoBackoff(), 1)}
                )
            )
        await self._publisher.publish(channel, message)

    async def subscribe(self, channel):
        self._ensure_task()
        async with self._lock:
            if channel in self.wanted:
                return
            self.wanted.add(channel)
            await self._tell("subscribe", channel)

    async def unsubscribe(self, channel):
        async with self._lock:
            if channel not in self.wanted:
                return
            self.wanted.discard(channel)
            await self._tell("unsubscribe", channel)

    async def flush(self):
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        self.wanted = set()
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            await _quietly(pubsub.aclose())
        if self._publisher is not None:
            publisher, self._publisher = self._publisher, None
            await _quietly(_close_redis(publisher))

    # -- internals ----------------------------------------------------------------

    async def _tell(self, command: str, channel: str) -> None:
        """Pass a change to the live connection. Without one (Redis is down, or the
        task is connecting) the set is enough: the next connection subscribes it."""
        pubsub = self._pubsub
        if pubsub is None:
            return
        try:
            await getattr(pubsub, command)(channel)
        except Exception as exc:
            log.warning("Redis %s failed (%s); reconnecting", command, exc)
            if self._pubsub is pubsub:
                self._pubsub = None
                await _quietly(pubsub.aclose())

    def _ensure_task(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        delay = 0.05
        quiet = False
        while True:
            client = pubsub = None
            try:
                client = aioredis.Redis(connection_pool=create_pool(self.host))
                pubsub = client.pubsub()
                async with self._lock:
                    # Everything wanted, before anything is read: nothing joined
                    # while Redis was away is left out.
                    await pubsub.subscribe(self.keepalive, *self.wanted)
                    self._pubsub = pubsub
                self.connects += 1
                if self.failures:
                    log.warning(
                        "Redis subscriber reconnected (%d channels)", len(self.wanted)
                    )
                    self.layer.resubscribed()
                delay, quiet = 0.05, False
                await self._read(pubsub)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                # Once per outage at warning level, then every attempt at debug.
                level = logging.DEBUG if quiet else logging.WARNING
                quiet = True
                self.failures += 1
                log.log(level, "Redis subscriber lost (%s); reconnecting", exc)
            finally:
                if self._pubsub is pubsub:
                    self._pubsub = None
                if pubsub is not None:
                    await _quietly(pubsub.aclose())
                if client is not None:
                    await _quietly(_close_redis(client))
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.reconnect_seconds)

    async def _read(self, pubsub: aioredis.client.PubSub) -> None:
        loop = asyncio.get_running_loop()
        heard = loop.time()
        pinged = False
        while self._pubsub is pubsub:
            message = await pubsub.get_message(timeout=1.0)
            now = loop.time()
            if message is not None:
                heard, pinged = now, False
                if message["type"] == "message":
                    self._deliver(message["channel"], message["data"])
                continue
            quiet = now - heard
            if pinged and quiet > self.ping_seconds + self.pong_seconds:
                raise ConnectionError(f"no answer to PING for {quiet:.0f}s")
            if not pinged and quiet > self.ping_seconds:
                await pubsub.ping()
                pinged = True
        # `_tell` failed on this connection: start over.
        raise ConnectionError("subscriber connection dropped")

    def _deliver(self, name, data) -> None:
        if isinstance(name, bytes):
            name = name.decode()
        channels = self.layer.channels
        if name in channels:
            channels[name].put_nowait(data)
        for channel in self.layer.groups.get(name, ()):
            if channel in channels:
                channels[channel].put_nowait(data)


async def _quietly(awaitable) -> None:
    try:
        await awaitable
    except Exception:
        log.debug("closing a Redis client failed", exc_info=True)
