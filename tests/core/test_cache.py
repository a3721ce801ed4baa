"""core.cache.LocalCache: ttl, cross-process versions on the real Redis cache,
and serving what it has while the shared cache is away."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from core.cache import LocalCache


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def name(request):
    # Keys of their own per test: Redis is shared by concurrent runs.
    return f"test:{request.node.name}"


def loader(values):
    calls = []

    def load():
        calls.append(1)
        return values[len(calls) - 1]

    return load, calls


def test_a_value_is_loaded_once_within_its_ttl(clock, name):
    local = LocalCache(name, ttl=30, clock=clock)
    load, calls = loader(["a", "b"])
    assert local.get(1, load) == "a"
    clock.now += 29
    assert local.get(1, load) == "a"
    clock.now += 2
    assert local.get(1, load) == "b"
    assert len(calls) == 2


def test_peek_never_loads_and_stale_keeps_the_last_value(clock, name):
    local = LocalCache(name, ttl=30, clock=clock)
    assert local.peek(1) is None and local.stale(1) is None
    local.put(1, "a")
    assert local.peek(1) == "a"
    clock.now += 31
    assert local.peek(1) is None
    assert local.stale(1) == "a"


def test_a_change_on_another_process_is_seen_at_the_next_version_check(clock, name):
    # Two caches with one name stand for two processes sharing Redis.
    here = LocalCache(name, ttl=30, check_every=1, clock=clock)
    there = LocalCache(name, ttl=30, check_every=1, clock=clock)
    load_here, calls = loader(["old", "new"])
    assert here.get(7, load_here) == "old"
    there.changed(7)
    assert here.get(7, load_here) == "old"  # not checked again yet
    assert here.peek(7) == "old"
    clock.now += 1.5
    assert here.peek(7) is None  # due for a check: peek will not vouch for it
    assert here.get(7, load_here) == "new"
    assert len(calls) == 2
    clock.now += 1.5
    assert here.get(7, load_here) == "new"  # version unchanged: no reload
    cache.delete(f"{name}:version:7")


def test_changed_forgets_the_key_in_this_process_at_once(clock, name):
    local = LocalCache(name, ttl=30, check_every=10, clock=clock)
    load, _ = loader(["a", "b"])
    local.get(1, load)
    local.changed(1)
    assert local.get(1, load) == "b"
    cache.delete(f"{name}:version:1")


def test_without_the_shared_cache_the_held_value_is_served(clock, name):
    from django.core.cache.backends.redis import RedisCache

    away = RedisCache("redis://127.0.0.1:1/0", {})  # nothing listens there
    local = LocalCache(name, ttl=30, check_every=1, clock=clock, shared=away)
    load, calls = loader(["a", "b"])
    assert local.get(1, load) == "a"
    clock.now += 2
    assert local.get(1, load) == "a"  # version unknown: taken as unchanged
    local.changed(1)  # cannot bump: logged, and forgotten here
    assert local.get(1, load) == "b"
    assert len(calls) == 2


def test_the_oldest_entries_make_room(clock, name):
    local = LocalCache(name, ttl=30, max_entries=10, clock=clock)
    for key in range(10):
        local.put(key, key)
    local.put(99, 99)
    assert local.stale(99) == 99
    assert local.stale(0) is None
