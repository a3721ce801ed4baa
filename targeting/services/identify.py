"""Identity verification: the site's server signs (user id, CRM attributes, time)
with the site's identify secret; the widget only carries the signature.

    sig = hex(HMAC-SHA256(secret, f"{ts}.{user_id}.{canonical(attrs)}"))

canonical(attrs) is JSON with sorted keys and no spaces (ensure_ascii=False). A
signature is refused when it does not match, when `ts` is more than MAX_SKEW from
the server's clock, and when it was already used (replay; remembered in the cache
for twice the skew, after which `ts` is too old anyway).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime

from django.core.cache import cache

from chat.models import Site
from targeting.tracking import BadEvent

MAX_SKEW_SECONDS = 300


def canonical_attrs(attrs: dict) -> str:
    return json.dumps(attrs, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def identify_signature(secret: str, *, ts: int, user_id: str, attrs: dict) -> str:
    message = f"{ts}.{user_id}.{canonical_attrs(attrs)}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def identify_verify(*, site: Site, data: dict, now: datetime) -> None:
    """Raises BadEvent unless `data` (targeting.tracking.parse_identify) is a fresh,
    genuine, first-time signature of this site."""
    if abs(now.timestamp() - data["ts"]) > MAX_SKEW_SECONDS:
        raise BadEvent("The identify signature has expired; sign it again.")
    expected = identify_signature(
        site.identify_secret,
        ts=data["ts"],
        user_id=data["user_id"],
        attrs=data["attrs"],
    )
    if not hmac.compare_digest(expected, str(data["sig"]).lower()):
        raise BadEvent("The identify signature does not match.")
    if not cache.add(
        f"targeting:identify:{site.pk}:{expected}", 1, timeout=2 * MAX_SKEW_SECONDS
    ):
        raise BadEvent("This identify signature was already used.")
