"""Which visitors have a socket open now, across every server process.

Each process keeps one member per visitor it holds sockets for, `<visitor>:<process>`,
in one Redis sorted set scored by the member's expiry (unix seconds). targeting.live
adds it when the visitor's first socket in the process attaches and removes it when
their last one detaches; a thread refreshes the process's members every REFRESH
seconds, so a process that dies takes its visitors off the list within TTL. Readers
(Live visitors, the journey's "Live") take the members not yet expired, from any
process. A visitor is present while any process has a member for them.

Without Redis (the embedded demo: one process) the same structure lives in memory.
Redis errors are logged and the caller falls back (see `present_ids`).
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

from django.conf import settings

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)

TTL = 30.0
REFRESH = 10.0


class PresenceUnavailable(Exception):
    pass


class Presence:
    def __init__(self, *, process: str | None = None, ttl: float = TTL) -> None:
        self.process = process or uuid.uuid4().hex[:12]
        self.ttl = ttl
        self.local: set[int] = set()  # visitors with a socket in this process
        self._memory: dict[str, float] = {}  # no Redis: member -> expiry
        self._lock = threading.Lock()
        self._redis: redis.Redis | None = None
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="presence")
        self._refresher: threading.Thread | None = None

    # -- storage ---------------------------------------------------------------

    @property
    def key(self) -> str:
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
        return f"{prefix}:targeting:present"

    def _client(self):
        url = getattr(settings, "REDIS_URL", None)
        if not url:
            return None
        if self._redis is None:
            import redis

            self._redis = redis.Redis.from_url(
                url, socket_timeout=2, socket_connect_timeout=2
            )
        return self._redis

    def _member(self, visitor_id: int) -> str:
        return f"{visitor_id}:{self.process}"

    def _write(self, add: Iterable[int], remove: Iterable[int]) -> None:
        expiry = time.time() + self.ttl
        adding = [self._member(v) for v in add]
        removing = [self._member(v) for v in remove]
        client = self._client()
        if client is None:
            with self._lock:
                for member in adding:
                    self._memory[member] = expiry
                for member in removing:
                    self._memory.pop(member, None)
            return
        try:
            pipe = client.pipeline(transaction=False)
            if adding:
                pipe.zadd(self.key, dict.fromkeys(adding, expiry))
            if removing:
                pipe.zrem(self.key, *removing)
            pipe.execute()
        except Exception:
            log.warning("presence not written: Redis unavailable")
            self._redis = None

    # -- the process's sockets (called on the event loop) ------------------------

    def enter(self, visitor_id: int) -> None:
        """The visitor's first socket in this process."""
        self.local.add(visitor_id)
        self._executor.submit(self._write, [visitor_id], [])
        self._start_refresher()

    def leave(self, visitor_id: int) -> None:
        """The visitor's last socket in this process closed."""
        self.local.discard(visitor_id)
        self._executor.submit(self._write, [], [visitor_id])

    def flush(self) -> None:
        """Wait for the writes queued so far (tests)."""
        self._executor.submit(lambda: None).result()

    def refresh(self) -> None:
        if self.local:
            self._write(list(self.local), [])

    def _start_refresher(self) -> None:
        if self._refresher is not None and self._refresher.is_alive():
            return

        def loop() -> None:
            while True:
                time.sleep(REFRESH)
                try:
                    self._executor.submit(self.refresh)
                except RuntimeError:  # shut down
                    return

        self._refresher = threading.Thread(
            target=loop, name="presence-refresh", daemon=True
        )
        self._refresher.start()

    # -- readers (any process) ------------------------------------------------

    def present_ids(self, candidates: Iterable[int] | None = None) -> set[int]:
        """Visitors with a live socket on any process (of `candidates`, if given).
        Raises PresenceUnavailable when Redis cannot be read."""
        now = time.time()
        client = self._client()
        if client is None:
            with self._lock:
                for member in [m for m, e in self._memory.items() if e <= now]:
                    del self._memory[member]
                members = list(self._memory)
        else:
            try:
                pipe = client.pipeline(transaction=False)
                pipe.zremrangebyscore(self.key, "-inf", now)
                pipe.zrangebyscore(self.key, now, "+inf")
                _, raw = pipe.execute()
            except Exception as exc:
                self._redis = None
                raise PresenceUnavailable(str(exc)) from exc
            members = [m.decode() if isinstance(m, bytes) else m for m in raw]
        ids = {int(m.split(":", 1)[0]) for m in members}
        if candidates is not None:
            ids &= set(candidates)
        return ids

    def is_present(self, visitor_id: int) -> bool | None:
        """None when it cannot be told (Redis down)."""
        try:
            return visitor_id in self.present_ids([visitor_id])
        except PresenceUnavailable:
            return None

    def clear(self) -> None:
        """Tests: forget this process's members."""
        self.flush()
        gone, self.local = list(self.local), set()
        if gone:
            self._write([], gone)
        with self._lock:
            self._memory.clear()


presence = Presence()
