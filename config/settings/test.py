"""Tests run against real PostgreSQL and Redis (started by scripts/test)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/livechat")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CHANNEL_PREFIX", f"lctest{os.getpid()}")

from .base import *  # noqa: E402,F403
from .base import CHAT  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CHAT = {**CHAT, "HEARTBEAT_SECONDS": 2, "VISITOR_AWAY_GRACE_SECONDS": 0.3}
# Worker threads (sync_to_async, the message writer) must not keep connections open
# past a test, or the test database cannot be dropped.
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405
# Concurrent runs on one machine (developers, CI, helpers) must not share a test DB.
DATABASES["default"]["TEST"] = {"NAME": f"test_livechat_{os.getpid()}"}  # noqa: F405
# Concurrent runs share Redis db 0: keep their cache keys apart.
CACHES["default"]["KEY_PREFIX"] = f"t{os.getpid()}"  # noqa: F405
# Tests that run a real Celery worker use a queue of this run's own.
CELERY_TASK_DEFAULT_QUEUE = f"test{os.getpid()}"
CELERY_RESULT_BACKEND = os.environ["REDIS_URL"]
