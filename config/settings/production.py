"""Production: PostgreSQL, Redis, secure cookies; refuses to start without secrets."""

import os

for required in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
    if not os.environ.get(required):
        raise RuntimeError(f"{required} must be set in production")

from .base import *  # noqa: E402,F403

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
