"""CORS for the public endpoints (/public/): a preflight carries no body, so it is
let through for any origin that some site allows; the view then refuses an origin
the named site does not allow (403)."""

from __future__ import annotations

import time

from chat.models import Site

_TTL = 30.0
_cache: tuple[float, frozenset[str]] = (0.0, frozenset())


def known_origins() -> frozenset[str]:
    global _cache
    if _cache[0] < time.monotonic():
        origins = set()
        for text in Site.objects.values_list("allowed_origins", flat=True):
            origins |= {o.strip().rstrip("/").lower() for o in text.split() if o}
        _cache = (time.monotonic() + _TTL, frozenset(origins))
    return _cache[1]


def known_origins_clear() -> None:
    global _cache
    _cache = (0.0, frozenset())


def cors_allow_site_origins(sender, request, **kwargs) -> bool:
    origin = (request.headers.get("Origin") or "").rstrip("/").lower()
    return bool(origin) and origin in known_origins()
