"""Settings of the tutorial-style baseline: the tutorial's, plus what is needed to
survive the load at all (see docs/benchmarks.md):

- redis-py 8 gives every connection a 5 s socket timeout while the layer blocks in
  BZPOPMIN for 5 s, so idle consumers crash; and it caps a pool at 100 connections.
  Both are set as docs/stack-notes.md says.
- CONN_MAX_AGE: the tutorial leaves Django's default (0, a new PostgreSQL connection
  per message). BENCH_TUTORIAL_CONN_MAX_AGE defaults to 600 here, the fairer (faster)
  choice; set it to 0 to measure the tutorial as written.
"""

import os

import dj_database_url

SECRET_KEY = "bench-tutorial-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "bench.example"]
INSTALLED_APPS = ["daphne", "channels", "bench.baselines.tutorial_channels"]
ASGI_APPLICATION = "bench.baselines.tutorial_channels.asgi.application"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ["DATABASE_URL"],
        conn_max_age=int(os.environ.get("BENCH_TUTORIAL_CONN_MAX_AGE", "600")),
    )
}

CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [
                {
                    "address": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                    "socket_timeout": None,
                    "max_connections": 1000,
                }
            ],
            "prefix": os.environ.get("CHANNEL_PREFIX", "benchtut"),
        },
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    # group_send drops a message when the receiving process already has `capacity`
    # (100) messages queued, and says so only at INFO.
    "loggers": {"channels_redis": {"level": "INFO"}},
}
