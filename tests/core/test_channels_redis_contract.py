"""The channels-redis internals that `core/channel_layer.py` and `core/realtime.py`
build on (channels-redis 4.3, redis-py 8). None of them is public API: an upgrade may
change any of them without notice, and this file is where that shows, one named
assumption per test. When one fails, read the new `channels_redis/pubsub.py` and
`utils.py`, adapt the two modules, then this file.

What the two modules rely on:
- `RedisPubSubChannelLayer` keeps its constructor arguments in `_args`/`_kwargs`
  (realtime reads `prefix` and `hosts[0]` there), its per-loop layers in `_layers`,
  and reaches every per-loop layer through `_get_layer()`, which our class overrides
  to build `LoopLayer`; `serialize()` is the message format on the wire.
- `RedisPubSubLoopLayer.__init__(hosts, prefix, channel_layer=...)`, its tables
  `channels` (channel -> asyncio.Queue of raw bytes) and `groups` (group channel ->
  set of channels), `_shards` consulted by `_get_shard()`, `_subscribe_to_channel()`
  called by `new_channel()` and `receive()`, `_get_group_channel_name()` equal to the
  `{prefix}__group__{group}` realtime publishes to, and the shard interface it calls:
  `publish`, `subscribe`, `unsubscribe`, `flush`.
- `channels_redis.utils`: `decode_hosts`, `create_pool`, `_close_redis`, `_wrap_close`.
"""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels_redis import pubsub, utils
from django.conf import settings
from redis import asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from core import realtime
from core.channel_layer import LoopLayer, PubSubChannelLayer, Shard
from tests.support.waiting import async_wait_until

# Nothing connects to it in the tests that use a FakeShard.
HOST = {"address": "redis://127.0.0.1:1/0", "socket_timeout": None}
EVENT = {"type": "chat.frame", "text": '{"type":"message"}', "meta": {"seq": 7}}


class FakeShard:
    """The shard interface as the upstream loop layer calls it, recorded."""

    def __init__(self):
        self.calls: list[tuple] = []

    async def publish(self, channel, message):
        self.calls.append(("publish", channel, message))

    async def subscribe(self, channel):
        self.calls.append(("subscribe", channel))

    async def unsubscribe(self, channel):
        self.calls.append(("unsubscribe", channel))

    async def flush(self):
        self.calls.append(("flush",))


def faked(layer: LoopLayer) -> FakeShard:
    fake = FakeShard()
    layer._shards = [fake]
    return fake


def loop_layer(prefix: str = "ct") -> tuple[PubSubChannelLayer, LoopLayer, FakeShard]:
    proxy = PubSubChannelLayer(hosts=[HOST], prefix=prefix)
    layer = LoopLayer(hosts=[HOST], prefix=prefix, channel_layer=proxy)
    return proxy, layer, faked(layer)


# -- RedisPubSubChannelLayer (the proxy) -----------------------------------------------


def test_proxy_keeps_its_arguments_in_args_and_kwargs():
    """realtime reads `_kwargs["prefix"]` and `_kwargs["hosts"][0]`; our `_get_layer`
    passes `*_args, **_kwargs` on to `LoopLayer`, so the serializer's options must not
    be among them."""
    proxy = PubSubChannelLayer(
        hosts=[HOST], prefix="ct", ping_seconds=2, serializer_format="msgpack"
    )
    assert proxy._args == ()
    assert proxy._kwargs == {"hosts": [HOST], "prefix": "ct", "ping_seconds": 2}
    assert proxy._layers == {}
    assert issubclass(PubSubChannelLayer, pubsub.RedisPubSubChannelLayer)


async def test_proxy_reaches_the_loop_layer_only_through_get_layer():
    """Every channel-layer call of the proxy goes through `_get_layer()` (ours builds
    a `LoopLayer` per event loop and remembers it in `_layers`)."""
    proxy = PubSubChannelLayer(hosts=[HOST], prefix="ct")
    layer = proxy._get_layer()
    assert type(layer) is LoopLayer
    assert proxy._layers == {asyncio.get_running_loop(): layer}
    assert proxy._get_layer() is layer
    fake = faked(layer)

    channel = await proxy.new_channel()
    await proxy.group_add("g", channel)
    await proxy.group_send("g", EVENT)
    await proxy.send(channel, EVENT)
    await proxy.group_discard("g", channel)
    await proxy.flush()

    data = proxy.serialize(EVENT)
    assert fake.calls == [
        ("subscribe", channel),
        ("subscribe", "ct__group__g"),
        ("publish", "ct__group__g", data),
        ("publish", channel, data),
        ("unsubscribe", "ct__group__g"),
        ("flush",),
    ]


def test_serialize_is_bytes_that_deserialize_reads_back():
    """realtime writes `layer.serialize(event)` straight to Redis; the receiving
    process's layer reads it with `deserialize`."""
    proxy = PubSubChannelLayer(hosts=[HOST], prefix="ct")
    data = proxy.serialize(realtime._event(EVENT["text"], EVENT["meta"]))
    assert isinstance(data, bytes)
    assert proxy.deserialize(data) == EVENT


# -- RedisPubSubLoopLayer --------------------------------------------------------------


def test_loop_layer_takes_hosts_prefix_and_channel_layer():
    proxy, layer, fake = loop_layer("pre")
    assert issubclass(LoopLayer, pubsub.RedisPubSubLoopLayer)
    assert layer.prefix == "pre"
    assert layer.channel_layer is proxy
    assert layer.channels == {} and layer.groups == {}
    assert layer._get_shard("pre__group__site.1") is fake
    # Our own shards replace upstream's, one per decoded host.
    real = LoopLayer(hosts=[HOST, HOST], prefix="pre", channel_layer=proxy)
    assert [type(s) for s in real._shards] == [Shard, Shard]


def test_group_channel_name_is_the_one_realtime_publishes_to():
    _, layer, _ = loop_layer("lc")
    # core/realtime.py: f"{prefix}__group__{group}"
    assert layer._get_group_channel_name("agent.12") == "lc__group__agent.12"


async def test_new_channel_and_receive_subscribe_through_subscribe_to_channel():
    """Our `_subscribe_to_channel` (the wanted set, never raising while Redis is
    down) only works if upstream calls it for every channel it subscribes."""
    seen = []

    class Spy(LoopLayer):
        async def _subscribe_to_channel(self, channel):
            seen.append(channel)
            await super()._subscribe_to_channel(channel)

    proxy = PubSubChannelLayer(hosts=[HOST], prefix="ct")
    layer = Spy(hosts=[HOST], prefix="ct", channel_layer=proxy)
    fake = faked(layer)
    channel = await layer.new_channel()
    assert channel.startswith("ctspecific.")
    assert seen == [channel]
    assert isinstance(layer.channels[channel], asyncio.Queue)

    other = "ctspecific.other"
    receiving = asyncio.ensure_future(layer.receive(other))
    await asyncio.sleep(0)
    assert seen == [channel, other]
    assert fake.calls == [("subscribe", channel), ("subscribe", other)]
    receiving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await receiving


async def test_groups_table_maps_the_group_channel_to_its_members():
    """`Shard._deliver` fans a group's message out through `layer.groups` and
    `layer.channels`, the tables upstream's `group_add` fills."""
    _, layer, fake = loop_layer()
    one, two = await layer.new_channel(), await layer.new_channel()
    await layer.group_add("site.1", one)
    await layer.group_add("site.1", two)
    assert layer.groups == {"ct__group__site.1": {one, two}}
    assert fake.calls[-1] == ("subscribe", "ct__group__site.1")

    await layer.group_discard("site.1", one)
    assert ("unsubscribe", "ct__group__site.1") not in fake.calls
    await layer.group_discard("site.1", two)
    assert layer.groups == {}
    assert fake.calls[-1] == ("unsubscribe", "ct__group__site.1")


async def test_receive_deserializes_the_raw_bytes_a_shard_queues():
    """Shards put the raw Redis payload on `layer.channels[name]`; upstream's
    `receive` deserializes it. Together with realtime's format: what realtime
    publishes to a group is what the group's consumers receive."""
    proxy, layer, _ = loop_layer()
    shard = Shard(HOST, layer, ping_seconds=5, pong_seconds=3, reconnect_seconds=0.5)
    channel = await layer.new_channel()
    await layer.group_add("visitor.3", channel)
    wire = proxy.serialize(realtime._event(EVENT["text"], EVENT["meta"]))
    shard._deliver(b"ct__group__visitor.3", wire)
    shard._deliver(channel.encode(), proxy.serialize({"type": "layer.resubscribed"}))
    assert await asyncio.wait_for(layer.receive(channel), 1) == EVENT
    assert await asyncio.wait_for(layer.receive(channel), 1) == {
        "type": "layer.resubscribed"
    }


async def test_a_cancelled_receive_unsubscribes_through_the_shard():
    """A consumer leaving cancels its `receive`: upstream forgets the channel and
    calls `shard.unsubscribe`, which takes it out of our wanted set."""
    _, layer, fake = loop_layer()
    channel = await layer.new_channel()
    receiving = asyncio.ensure_future(layer.receive(channel))
    await asyncio.sleep(0)
    receiving.cancel()
    with pytest.raises(asyncio.CancelledError):
        await receiving
    assert channel not in layer.channels
    assert fake.calls[-1] == ("unsubscribe", channel)


async def test_flush_empties_the_tables_and_flushes_every_shard():
    _, layer, fake = loop_layer()
    channel = await layer.new_channel()
    await layer.group_add("g", channel)
    await layer.flush()
    assert layer.channels == {} and layer.groups == {}
    assert fake.calls[-1] == ("flush",)


# -- channels_redis.utils --------------------------------------------------------------


def test_decode_hosts_gives_one_dict_per_host():
    assert utils.decode_hosts([HOST]) == [HOST]
    assert utils.decode_hosts(["redis://h:1/0"]) == [{"address": "redis://h:1/0"}]


def test_create_pool_passes_our_connection_options_through():
    retry = Retry(NoBackoff(), 0)
    host = {**HOST, "retry": retry, "socket_connect_timeout": 2}
    pool = utils.create_pool(host)
    assert isinstance(pool, aioredis.ConnectionPool)
    assert pool.connection_kwargs["retry"] is retry
    assert pool.connection_kwargs["socket_connect_timeout"] == 2
    assert pool.connection_kwargs["socket_timeout"] is None
    assert host["address"] == HOST["address"]  # not popped from our dict


async def test_close_redis_closes_the_client_with_its_pool():
    closed = []

    class Client:
        async def aclose(self, close_connection_pool=None):
            closed.append(close_connection_pool)

    await utils._close_redis(Client())
    assert closed == [True]


def test_wrap_close_flushes_the_loops_layer_when_the_loop_closes():
    """Our `_get_layer` calls `_wrap_close` like upstream's: closing an event loop
    flushes (and forgets) the layer that served it."""
    proxy = PubSubChannelLayer(hosts=[HOST], prefix="ct")
    loop = asyncio.new_event_loop()

    async def use() -> FakeShard:
        return faked(proxy._get_layer())

    try:
        fake = loop.run_until_complete(use())
    finally:
        loop.close()
    assert fake.calls == [("flush",)]
    assert proxy._layers == {}


# -- against Redis ---------------------------------------------------------------------


def redis_url() -> str:
    return settings.CHANNEL_LAYERS["default"]["CONFIG"]["hosts"][0]["address"]


async def test_realtimes_pipelined_publish_reaches_a_group_member_through_redis():
    """core.realtime publishes around the layer (one pipeline of PUBLISHes to
    `{prefix}__group__{group}`, payload `layer.serialize(event)`); a consumer
    subscribed through the layer receives exactly the event."""
    prefix = f"ct{uuid.uuid4().hex[:8]}"
    proxy = PubSubChannelLayer(hosts=[{**HOST, "address": redis_url()}], prefix=prefix)
    box = realtime._Outbox(asyncio.get_running_loop())
    box.layer = proxy
    try:
        channel = await proxy.new_channel()
        await proxy.group_add("visitor.9", channel)
        group = f"{prefix}__group__visitor.9"
        client = aioredis.Redis.from_url(redis_url())

        async def subscribed() -> bool:
            counts = dict(await client.pubsub_numsub(group))
            return counts.get(group.encode(), 0) >= 1

        try:
            await async_wait_until(subscribed, 5, f"{group} subscribed in Redis")
        finally:
            await client.aclose()

        box.put([("visitor.9", EVENT["text"], EVENT["meta"])])
        assert await asyncio.wait_for(proxy.receive(channel), 5) == EVENT
    finally:
        box.task.cancel()
        await asyncio.gather(box.task, return_exceptions=True)
        if box._redis is not None:
            await box._redis.aclose()
        await proxy.flush()


async def test_ping_on_a_subscribed_connection_comes_back_as_a_message():
    """The layer's health check: `PubSub.ping()` on a subscribed connection is
    answered as a message that `get_message` returns (any message counts as heard)."""
    client = aioredis.Redis.from_url(redis_url(), socket_timeout=None)
    subscriber = client.pubsub()
    try:
        await subscriber.subscribe(f"ct-alive-{uuid.uuid4().hex}")
        kinds = []
        await subscriber.ping()
        for _ in range(20):
            message = await subscriber.get_message(timeout=0.5)
            if message is not None:
                kinds.append(message["type"])
            if "pong" in kinds:
                break
        assert "pong" in kinds, kinds
    finally:
        await subscriber.aclose()
        await client.aclose()
