"""One per-process cache for values read from the database on hot paths.

Sockets read the same few things again and again (a site's schedule, its compiled
targeting rules, its allowed origins). Each process keeps them in memory for `ttl`
seconds. Where an edit must reach every process sooner than that, the cache is
*versioned*: `changed(key)` bumps a counter in Django's cache (Redis, shared by every
process), and a process that holds the key re-reads that counter at most every
`check_every` seconds and reloads when it moved. While the shared cache is away the
version is taken as unchanged: a process keeps serving what it has rather than fail.

    schedules = LocalCache("leads:schedule", ttl=30, check_every=1)
    schedule = schedules.get(site.pk, lambda: schedule_load(site))   # ORM thread
    schedules.peek(site.pk)        # no I/O at all: a fresh value or None (event loop)
    schedules.changed(site.pk)     # after an edit, once committed: every process

`get` may do I/O (the load, the version read) and belongs on the ORM thread; `peek`
and `stale` never do and are safe on the event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.core.cache import cache as default_shared

log = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_NO_VERSION = -1


@dataclass(slots=True)
class _Entry(Generic[V]):
    value: V
    version: int
    expires_at: float
    check_at: float


class LocalCache(Generic[K, V]):
    def __init__(
        self,
        name: str,
        *,
        ttl: float,
        check_every: float | None = None,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
        shared=None,
    ) -> None:
        self.name = name
        self.shared = shared if shared is not None else default_shared
        self.ttl = ttl
        self.check_every = check_every
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[K, _Entry[V]] = {}
        self._lock = threading.Lock()

    # -- reading --------------------------------------------------------------

    def get(self, key: K, load: Callable[[], V]) -> V:
        """The cached value, or `load()`'s (stored). May read the shared version."""
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and now < entry.expires_at:
            if self.check_every is None or now < entry.check_at:
                return entry.value
            version = self._version(key, fallback=entry.version)
            if version == entry.version:
                entry.check_at = now + self.check_every
                return entry.value
        # Read the version before loading: an edit committed in between bumps it
        # again, so the next check reloads instead of keeping old rows as new.
        version = self._version(key, fallback=_NO_VERSION) if self.check_every else 0
        value = load()
        self.put(key, value, version=version)
        return value

    def peek(self, key: K) -> V | None:
        """A value still within its ttl and version check, else None. No I/O."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = self.clock()
        if now >= entry.expires_at:
            return None
        if self.check_every is not None and now >= entry.check_at:
            return None
        return entry.value

    def stale(self, key: K) -> V | None:
        """Whatever value is held, however old (to serve while a reload runs)."""
        entry = self._entries.get(key)
        return entry.value if entry is not None else None

    def items(self) -> list[tuple[K, V]]:
        """Every held entry, however old. No I/O."""
        return [(key, entry.value) for key, entry in list(self._entries.items())]

    # -- writing --------------------------------------------------------------

    def put(self, key: K, value: V, *, version: int = 0) -> None:
        now = self.clock()
        with self._lock:
            if key not in self._entries and len(self._entries) >= self.max_entries:
                self._evict(now)
            self._entries[key] = _Entry(
                value=value,
                version=version,
                expires_at=now + self.ttl,
                check_at=now + (self.check_every or self.ttl),
            )

    def invalidate(self, key: K) -> None:
        """Forget the key in this process only."""
        self._entries.pop(key, None)

    def changed(self, key: K) -> None:
        """The value changed: every process reloads it (call after commit)."""
        name = self._version_key(key)
        try:
            try:
                self.shared.incr(name)
            except ValueError:  # no counter yet
                self.shared.set(name, 1, timeout=None)
        except Exception as exc:
            log.warning("%s: version of %r not bumped, cache unavailable: %s",
                        self.name, key, exc)  # fmt: skip
        self.invalidate(key)

    def clear(self) -> None:
        self._entries.clear()

    # -- internals ------------------------------------------------------------

    def _version_key(self, key: K) -> str:
        return f"{self.name}:version:{key}"

    def _version(self, key: K, *, fallback: int) -> int:
        try:
            return int(self.shared.get(self._version_key(key), 0))
        except Exception as exc:
            log.warning("%s: version of %r unknown, cache unavailable: %s",
                        self.name, key, exc)  # fmt: skip
            return fallback

    def _evict(self, now: float) -> None:
        expired = [k for k, e in self._entries.items() if e.expires_at <= now]
        for key in expired or list(self._entries)[: max(1, self.max_entries // 10)]:
            del self._entries[key]
