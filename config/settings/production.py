"""Production: PostgreSQL, Redis, secure cookies; refuses to start without secrets."""

import os

for required in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
    if not os.environ.get(required):
        raise RuntimeError(f"{required} must be set in production")

from .base import *  # noqa: E402,F403
from .base import DATABASES, env_int  # noqa: E402

# Django under ASGI runs each request's sync code in a thread of its own, so the
# per-thread persistent connections of CONN_MAX_AGE are never reused: every request
# would open a PostgreSQL connection (bench/leads.py measured it). psycopg's pool
# (Django 5.1+) hands connections across threads instead.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env_int("DB_POOL_MIN", 2),
        "max_size": env_int("DB_POOL_MAX", 20),
        "timeout": env_int("DB_POOL_TIMEOUT", 10),
    }

SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
