"""CORS for the public endpoints (/public/): a preflight carries no body, so it is
let through for any origin that some site allows; the view then refuses an origin
the named site does not allow (403).

corsheaders calls the signal from its async middleware, in the event loop thread,
for every request with an Origin header, where the ORM may not run. The set of
origins is therefore cached for 30 s (core.cache.LocalCache, in this process) and
loaded on a helper thread when stale.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from core.cache import LocalCache
from leads.selectors import allowed_origins_all

_TTL = 30.0
_THREAD = "cors-origins"
_ALL = "all"
_origins: LocalCache[str, frozenset[str]] = LocalCache("leads:cors-origins", ttl=_TTL)
_loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_THREAD)


def _load() -> frozenset[str]:
    try:
        return allowed_origins_all()
    finally:
        if threading.current_thread().name.startswith(_THREAD):
            connection.close()  # one query per 30 s: keep no connection open


def _load_here_or_on_helper() -> frozenset[str]:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _load()
    return _loader.submit(_load).result(timeout=10)


def known_origins() -> frozenset[str]:
    return _origins.get(_ALL, _load_here_or_on_helper)


def known_origins_clear() -> None:
    _origins.clear()


def cors_allow_site_origins(sender, request, **kwargs) -> bool:
    origin = (request.headers.get("Origin") or "").rstrip("/").lower()
    return bool(origin) and origin in known_origins()
