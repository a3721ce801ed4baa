"""Visitors: creation and resumption by a signed token."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.utils import timezone

from chat.models import Site, Visitor
from core.text import text_strip

_SALT = "chat.visitor"


def visitor_token(visitor: Visitor) -> str:
    return signing.dumps(
        {"v": str(visitor.public_id), "s": visitor.site_id}, salt=_SALT
    )


def visitor_from_token(*, site: Site, token: str) -> Visitor | None:
    """The visitor the token names, if it is genuine, unexpired and of this site."""
    max_age = settings.CHAT["VISITOR_TOKEN_MAX_AGE_DAYS"] * 86400
    try:
        data = signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("s") != site.pk:
        return None
    public_id = data.get("v")
    if not isinstance(public_id, str):
        return None
    return Visitor.objects.filter(site=site, public_id=public_id).first()


def visitor_resume(
    *,
    site: Site,
    token: str | None,
    language: str = "",
    user_agent: str = "",
    ip: str | None = None,
) -> tuple[Visitor, bool]:
    """Return (visitor, created): the token's visitor, or a new one."""
    # Headers are recorded, not typed: refused characters are removed (core.text).
    user_agent = text_strip(user_agent, max_len=300)
    language = text_strip(language, max_len=10)
    visitor = visitor_from_token(site=site, token=token) if token else None
    if visitor is not None:
        updates = {
            "user_agent": user_agent[:300],
            "ip": ip,
            "last_seen_at": timezone.now(),
        }
        if language:
            updates["language"] = language[:10]
        Visitor.objects.filter(pk=visitor.pk).update(**updates)
        return visitor, False
    visitor = Visitor.objects.create(
        site=site, language=language[:10], user_agent=user_agent[:300], ip=ip
    )
    return visitor, True


def site_by_key(public_key: str) -> Site | None:
    if not public_key or len(public_key) > 64 or not public_key.isprintable():
        return None  # a NUL would fail the query itself
    return Site.objects.filter(public_key=public_key).first()
