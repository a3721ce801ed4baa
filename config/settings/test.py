"""Tests run against real PostgreSQL and Redis (started by scripts/test)."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/livechat")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
os.environ.setdefault("CHANNEL_PREFIX", f"lctest{os.getpid()}")

from .base import *  # noqa: E402,F403
from .base import CHAT  # noqa: E402

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CHAT = {**CHAT, "HEARTBEAT_SECONDS": 2}
