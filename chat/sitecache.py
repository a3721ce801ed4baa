"""Sites by public key for the visitor socket's handshake, without a database trip.

Every visitor handshake needs its site (allowed origins). Looked up in the database,
the lookup waits on the process's ORM thread behind every resume in progress, and
under a reconnect storm handshakes passed daphne's handshake timeout, which refuses
them with HTTP 403: valid visitors looked like forged ones. So the process keeps the
sites it has seen in memory (`core.cache.LocalCache`):

- a known site is answered from memory; past `FRESH_SECONDS` the entry is refreshed in
  the background while the held one still answers (an edit made on another process
  reaches this one within that time; edits made here apply at once, `site_forget`);
- an unknown key is remembered as unknown for `UNKNOWN_SECONDS`, so that a flood of
  bad keys does not reach the database either, and looked up again after that.
"""

from __future__ import annotations

import asyncio
import logging

from channels.db import database_sync_to_async

from chat.models import Site
from chat.services.visitors import site_by_key
from core.cache import LocalCache

log = logging.getLogger(__name__)

FRESH_SECONDS = 30.0
UNKNOWN_SECONDS = 5.0

# The stale value keeps answering while a refresh runs: no `ttl` expiry for known
# sites beyond an hour (a deleted site is forgotten by `site_forget` or that hour).
_known: LocalCache[str, Site] = LocalCache("chat:sites", ttl=3600)
_unknown: LocalCache[str, bool] = LocalCache("chat:unknown-sites", ttl=UNKNOWN_SECONDS)
_checked: LocalCache[str, bool] = LocalCache("chat:sites-fresh", ttl=FRESH_SECONDS)
_refreshing: set[str] = set()


async def site_for_handshake(key: str) -> Site | None:
    if not key or len(key) > 64:
        return None
    site = _known.peek(key)
    if site is not None:
        if _checked.peek(key) is None and key not in _refreshing:
            _refreshing.add(key)
            asyncio.get_running_loop().create_task(_refresh(key))
        return site
    if _unknown.peek(key):
        return None
    return _store(key, await database_sync_to_async(site_by_key)(key))


async def _refresh(key: str) -> None:
    try:
        _store(key, await database_sync_to_async(site_by_key)(key))
    except Exception:
        # The database is away: keep answering from memory, try again later.
        log.warning("site refresh failed for a key; keeping the cached site")
    finally:
        _refreshing.discard(key)


def _store(key: str, site: Site | None) -> Site | None:
    if site is None:
        _known.invalidate(key)
        _unknown.put(key, True)
    else:
        _unknown.invalidate(key)
        _known.put(key, site)
        _checked.put(key, True)
    return site


def site_forget(*, site: Site) -> None:
    """Drop a changed or deleted site from this process (the handshake reads it
    afresh)."""
    for cache in (_known, _checked):
        cache.invalidate(site.public_key)
    stale = [k for k, s in _known.items() if s.pk == site.pk]
    for key in stale:
        _known.invalidate(key)


def clear() -> None:
    for cache in (_known, _unknown, _checked):
        cache.clear()
