"""A Redis outage, on a private redis-server this module crashes and restarts (never
the shared one): the channel layer's subscriptions come back whole, and visitors
still get their `pong` (availability) from the database while Redis is away.

The layer is the one the settings configure, pointed at the private server."""

from __future__ import annotations

import asyncio
import importlib
import time

import pytest
from django.conf import settings
from django.test import override_settings

from tests.support.servers import RedisServer
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.multiprocess


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_redis(redis_server):
    redis_server.ensure_running()
    return redis_server


def make_layer(server: RedisServer, **extra):
    """The configured layer class, on the private Redis."""
    config = settings.CHANNEL_LAYERS["default"]
    module, _, name = config["BACKEND"].rpartition(".")
    cls = getattr(importlib.import_module(module), name)
    host = {**config["CONFIG"]["hosts"][0], "address": server.url}
    kwargs = {**config["CONFIG"], "hosts": [host], "prefix": f"out{time.time_ns()}"}
    return cls(**kwargs, **extra)


async def numsub(server: RedisServer, channel: str) -> int:
    return await asyncio.to_thread(server.subscribers, channel)


async def wait_subscribed(server, channels, timeout=5.0):
    counts: list[int] = []

    async def subscribed() -> bool:
        counts[:] = [await numsub(server, c) for c in channels]
        return all(counts)

    def missing(_) -> str:
        return str([c for c, n in zip(channels, counts, strict=False) if not n])

    await async_wait_until(
        subscribed, timeout, "every channel subscribed", describe=missing
    )


def outage_noticed(layer) -> bool:
    """The layer's subscriber has failed since Redis went away."""
    return all(shard.failures for shard in layer._get_layer()._shards)


async def receive_type(layer, channel, kind, timeout=3.0):
    """The next message of `kind` on `channel`, skipping others."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"no {kind} on {channel} within {timeout}s")
        try:
            message = await asyncio.wait_for(layer.receive(channel), left)
        except TimeoutError:
            continue
        if message["type"] == kind:
            return message


def test_subscriptions_made_during_an_outage_come_back(private_redis):
    """Joining while Redis is down neither raises (a new socket would get HTTP 500,
    a console 1011) nor is forgotten: once Redis is back every channel and group is
    subscribed again, those joined during the outage too, and frames flow."""

    async def scenario():
        layer = make_layer(private_redis)
        before = await layer.new_channel()
        await layer.group_add("early", before)
        group = layer._get_layer()._get_group_channel_name
        await wait_subscribed(private_redis, [group("early"), before])

        private_redis.crash()
        await async_wait_until(lambda: outage_noticed(layer), 5, "the outage noticed")
        during = await asyncio.wait_for(layer.new_channel(), 5)
        await asyncio.wait_for(layer.group_add("late", before), 5)
        await asyncio.wait_for(layer.group_add("late", during), 5)
        await asyncio.wait_for(layer.group_add("early", during), 5)
        private_redis.start()

        await wait_subscribed(
            private_redis, [group("early"), group("late"), before, during]
        )
        await layer.group_send("early", {"type": "chat.frame", "text": "e"})
        await layer.group_send("late", {"type": "chat.frame", "text": "l"})
        got = {
            name: [
                (await receive_type(layer, channel, "chat.frame"))["text"]
                for _ in range(2)
            ]
            for name, channel in (("before", before), ("during", during))
        }
        await layer.flush()
        return got

    got = asyncio.run(scenario())
    assert sorted(got["before"]) == ["e", "l"]
    assert sorted(got["during"]) == ["e", "l"]


def test_consumers_are_told_to_resync_after_a_reconnect(private_redis):
    """Frames published while the layer was away never come: every channel of the
    process gets `layer.resubscribed` once it is subscribed again, quickly."""

    async def scenario():
        layer = make_layer(private_redis)
        channels = [await layer.new_channel() for _ in range(3)]
        await layer.group_add("g", channels[0])
        await wait_subscribed(private_redis, channels)
        private_redis.crash()
        await asyncio.sleep(1.5)
        private_redis.start()
        back = time.monotonic()
        for channel in channels:
            await receive_type(layer, channel, "layer.resubscribed", timeout=3)
        took = time.monotonic() - back
        # Subscribed before the nudge: a frame sent now arrives.
        await layer.group_send("g", {"type": "chat.frame", "text": "x"})
        frame = await receive_type(layer, channels[0], "chat.frame")
        await layer.flush()
        return took, frame

    took, frame = asyncio.run(scenario())
    assert took < 2.0
    assert frame["text"] == "x"


class Blackhole:
    """A TCP proxy to Redis that can go silent: the sockets stay open and nothing
    passes, like a peer that vanished without a FIN (a network partition)."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.silent = False
        self.links: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._link, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _link(self, reader, writer):
        up_reader, up_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        self.links += [writer, up_writer]
        silent_from_start = self.silent

        async def pipe(src, dst):
            while data := await src.read(65536):
                if not (self.silent and not silent_from_start):
                    dst.write(data)
                    await dst.drain()

        await asyncio.gather(
            pipe(reader, up_writer), pipe(up_reader, writer), return_exceptions=True
        )

    async def close(self):
        self.server.close()
        for writer in self.links:
            writer.close()


def test_silently_dead_connection_is_noticed(private_redis):
    """socket_timeout is None (idle subscribers must live), so only a health check
    notices a connection that stopped answering: the layer pings a quiet line,
    drops it when no pong comes, and subscribes again on a fresh connection."""

    async def scenario():
        proxy = Blackhole(private_redis.port)
        port = await proxy.start()

        class Via(RedisServer):
            url = f"redis://127.0.0.1:{port}/0"

        via = Via.__new__(Via)
        layer = make_layer(via, ping_seconds=1, pong_seconds=1)
        channel = await layer.new_channel()
        await layer.group_add("g", channel)
        group = layer._get_layer()._get_group_channel_name("g")
        await wait_subscribed(private_redis, [group])
        proxy.silent = True  # existing links only; new connections pass
        try:
            await receive_type(layer, channel, "layer.resubscribed", timeout=8)
            await layer.group_send("g", {"type": "chat.frame", "text": "y"})
            frame = await receive_type(layer, channel, "chat.frame", timeout=3)
        finally:
            await layer.flush()
            await proxy.close()
        return frame

    assert asyncio.run(scenario())["text"] == "y"


@pytest.fixture
def cache_on_private_redis(private_redis):
    """The Django cache (availability's schedule version, ...) on the private Redis,
    so it can go away without disturbing anyone else."""
    config = {
        **settings.CACHES["default"],
        "LOCATION": private_redis.url,
        "KEY_PREFIX": f"out{time.time_ns()}",
    }
    with override_settings(CACHES={"default": config}):  # resets the handlers
        yield private_redis


@pytest.mark.django_db(transaction=True)
def test_visitor_pong_while_the_cache_is_down(cache_on_private_redis, site):
    """Visitors catch up from PostgreSQL while Redis is away: once the availability
    computed before the outage is stale, `ping` still gets its `pong` (with the
    availability computed from the database), not `unavailable`."""
    from leads.services import availability
    from tests.chat.wsutil import visitor_socket

    availability.schedule_cache_clear()

    async def scenario():
        visitor, _, hello = await visitor_socket(site)
        assert hello["availability"] is not None
        cache_on_private_redis.crash()
        # Past both in-process caches: the 2 s payload and the 30 s schedule.
        availability._recent.clear()
        availability._schedules.clear()
        frames = []
        for _ in range(2):
            started = time.monotonic()
            await visitor.send_json_to({"type": "ping"})
            frames.append(await visitor.receive_json_from(timeout=10))
            frames[-1]["took"] = time.monotonic() - started
            availability._recent.clear()
        await visitor.disconnect()
        return hello, frames

    hello, frames = asyncio.run(scenario())
    for frame in frames:
        assert frame["type"] == "pong", frame
        assert frame["availability"] == hello["availability"]
        assert frame["took"] < 2.0, frame
