"""CORS for the public endpoints (/public/): a preflight carries no body, so it is
let through for any origin that some site allows; the view then refuses an origin
the named site does not allow (403).

corsheaders calls the signal from its async middleware, in the event loop thread,
for every request with an Origin header, where the ORM may not run. The set of
origins is therefore cached for 30 s and loaded on a helper thread when stale.
"""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from django.db import connection

from chat.models import Site

_TTL = 30.0
_THREAD = "cors-origins"
_cache: tuple[float, frozenset[str]] = (0.0, frozenset())
_loader = ThreadPoolExecutor(max_workers=1, thread_name_prefix=_THREAD)


def _load() -> frozenset[str]:
    try:
        origins = set()
        for text in Site.objects.values_list("allowed_origins", flat=True):
            origins |= {o.strip().rstrip("/").lower() for o in text.split() if o}
        return frozenset(origins)
    finally:
        if threading.current_thread().name.startswith(_THREAD):
            connection.close()  # one query per 30 s: keep no connection open


def known_origins() -> frozenset[str]:
    global _cache
    if _cache[0] < time.monotonic():
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            origins = _load()
        else:
            origins = _loader.submit(_load).result(timeout=10)
        _cache = (time.monotonic() + _TTL, origins)
    return _cache[1]


def known_origins_clear() -> None:
    global _cache
    _cache = (0.0, frozenset())


def cors_allow_site_origins(sender, request, **kwargs) -> bool:
    origin = (request.headers.get("Origin") or "").rstrip("/").lower()
    return bool(origin) and origin in known_origins()
