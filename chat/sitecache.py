"""Sites by public key for the visitor socket's handshake, without a database trip.

Every visitor handshake needs its site (allowed origins). Looked up in the database,
the lookup waits on the process's one ORM thread behind every resume in progress, and
under a reconnect storm handshakes passed daphne's handshake timeout, which refuses
them with HTTP 403: valid visitors looked like forged ones. So the process keeps the
sites it has seen in memory:

- a known site is answered from memory; past `FRESH_SECONDS` the entry is refreshed in
  the background while the stored one still answers (an edit made on another process
  reaches this one within that time; edits made here apply at once);
- an unknown key is remembered as unknown for `UNKNOWN_SECONDS` so that a flood of
  bad keys does not reach the database either, and looked up again after that.
"""

from __future__ import annotations

import asyncio
import logging
import time

from channels.db import database_sync_to_async

from chat.models import Site
from chat.services.visitors import site_by_key

log = logging.getLogger(__name__)

FRESH_SECONDS = 30.0
UNKNOWN_SECONDS = 5.0
MAX_ENTRIES = 10_000

_entries: dict[str, tuple[Site | None, float]] = {}
_refreshing: set[str] = set()


async def site_for_handshake(key: str) -> Site | None:
    if not key or len(key) > 64:
        return None
    entry = _entries.get(key)
    now = time.monotonic()
    if entry is not None:
        site, stored_at = entry
        if site is None:
            if now - stored_at < UNKNOWN_SECONDS:
                return None
        else:
            if now - stored_at > FRESH_SECONDS and key not in _refreshing:
                _refreshing.add(key)
                asyncio.get_running_loop().create_task(_refresh(key))
            return site
    site = await database_sync_to_async(site_by_key)(key)
    _store(key, site)
    return site


async def _refresh(key: str) -> None:
    try:
        _store(key, await database_sync_to_async(site_by_key)(key))
    except Exception:
        # The database is away: keep answering from memory, try again later.
        log.warning("site refresh failed for a key; keeping the cached site")
    finally:
        _refreshing.discard(key)


def _store(key: str, site: Site | None) -> None:
    if len(_entries) >= MAX_ENTRIES:
        # Unknown keys go first: they are what a flood of bad keys adds.
        for stale in [k for k, (s, _) in _entries.items() if s is None]:
            del _entries[stale]
        if len(_entries) >= MAX_ENTRIES:
            _entries.clear()
    _entries[key] = (site, time.monotonic())


def site_forget(*, site: Site) -> None:
    """Drop a changed or deleted site (and any key it had) from this process."""
    stale = [k for k, (s, _) in _entries.items() if s is not None and s.pk == site.pk]
    for key in stale:
        del _entries[key]
    _entries.pop(site.public_key, None)


def clear() -> None:
    _entries.clear()
