"""Settings read from the environment; every variable is listed in `.env.example`.

With no `REDIS_URL` the server runs on the embedded defaults (SQLite, an in-process
channel layer, Celery tasks run eagerly) so `make run` works on a bare machine. With
`REDIS_URL` set it uses channels-redis and Celery on Redis; `DATABASE_URL` selects the
database (PostgreSQL in tests and production).
"""

import os
from pathlib import Path
from typing import Any

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(env(name, str(default)))


SECRET_KEY = env("SECRET_KEY", "insecure-dev-key-change-me-in-production-0123456789")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "django_filters",
    "corsheaders",
    "channels",
    "core",
    "chat",
    "leads",
    "targeting",
    "agents_ui",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
        conn_health_checks=env_bool("DB_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded demo: the message writer thread and the ORM thread both write;
    # IMMEDIATE transactions wait for the lock instead of failing at once.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        transaction_mode="IMMEDIATE", timeout=20
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # channels-redis' pub/sub layer, with subscriptions that come back whole
            # after a Redis restart and a health check (core/channel_layer.py).
            "BACKEND": "core.channel_layer.PubSubChannelLayer",
            "CONFIG": {
                # redis-py 8 defaults to a 5 s socket timeout, which kills idle
                # subscribers of the core layer; see docs/stack-notes.md and the idle
                # tests in tests/chat/test_consumers.py and test_multiprocess.py.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        "max_connections": 1000,
                    }
                ],
                "prefix": env("CHANNEL_PREFIX", "lc"),
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
LOGIN_URL = "/console/login/"
LOGIN_REDIRECT_URL = "/console/"
LOGOUT_REDIRECT_URL = "/console/login/"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # JSON only: the browsable HTML renderer failed (HTTP 500) on our output-only
    # serializers; `Accept: text/html` alone now gets 406, browsers get JSON.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "core.api.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_METADATA_CLASS": "core.api.Metadata",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {"user": "600/minute", "anon": "60/minute"},
}
SPECTACULAR_SETTINGS = {"TITLE": "Live chat API", "VERSION": "0.1.0"}

# The demo's in-memory broker names a host: kombu warns "No hostname was supplied"
# on every task without one.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND") or None
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", "celery")
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL and not env("CELERY_BROKER_URL")
CELERY_TASK_ACKS_LATE = True
CELERY_TIMEZONE = "UTC"

# Live chat tunables (see docs/protocol.md for what the client sees of them).
CHAT: dict[str, Any] = {
    # Seconds between client pings; the pong carries the latest seq for resync.
    "HEARTBEAT_SECONDS": env_int("CHAT_HEARTBEAT_SECONDS", 20),
    # A counselor unseen for longer than this has their chats requeued.
    "PRESENCE_GRACE_SECONDS": env_int("CHAT_PRESENCE_GRACE_SECONDS", 60),
    # A visitor whose socket closed is "away" only if they have not resumed within
    # this many seconds (page navigations reconnect at once).
    "VISITOR_AWAY_GRACE_SECONDS": env_int("CHAT_VISITOR_AWAY_GRACE_SECONDS", 15),
    "MAX_FRAME_BYTES": env_int("CHAT_MAX_FRAME_BYTES", 16_384),
    "MAX_TEXT_CHARS": env_int("CHAT_MAX_TEXT_CHARS", 4_000),
    # Token buckets: (refill per second, burst).
    "VISITOR_FRAME_RATE": (env_int("CHAT_VISITOR_FRAMES_PER_S", 10), 30),
    "VISITOR_MESSAGE_RATE": (env_int("CHAT_VISITOR_MESSAGES_PER_S", 3), 10),
    "AGENT_FRAME_RATE": (env_int("CHAT_AGENT_FRAMES_PER_S", 50), 200),
    # Tracking events per visitor socket (a frame carries up to 20).
    "VISITOR_EVENT_RATE": (env_int("CHAT_VISITOR_EVENTS_PER_S", 20), 100),
    # Violations of the frame budget before the socket is closed (code 4429).
    "FLOOD_CLOSE_AFTER": env_int("CHAT_FLOOD_CLOSE_AFTER", 50),
    "VISITOR_TOKEN_MAX_AGE_DAYS": env_int("CHAT_VISITOR_TOKEN_MAX_AGE_DAYS", 365),
    "HISTORY_PAGE": 100,
    # Admission control on the visitor socket (chat/admission.py): visitor resumes in
    # progress per process; past it a socket is closed with 4503 and a retry hint.
    "VISITOR_RESUME_LIMIT": env_int("CHAT_VISITOR_RESUME_LIMIT", 32),
    # A resume not done within this budget is dropped (its client has given up);
    # below the widget's hello timeout, so no work is done for abandoned sockets.
    "VISITOR_RESUME_BUDGET_SECONDS": env_int("CHAT_VISITOR_RESUME_BUDGET_SECONDS", 8),
    # The longest retry hint a refused widget is given.
    "RETRY_HINT_MAX_SECONDS": env_int("CHAT_RETRY_HINT_MAX_SECONDS", 60),
    # Threads (each with a database connection) for visitor sockets' own reads:
    # resume, resync, heartbeat (chat.consumers.base.visitor_db).
    "VISITOR_DB_THREADS": env_int("CHAT_VISITOR_DB_THREADS", 4),
}

# Public, cross-origin endpoints of the widget (lead form, beacons): an origin is
# let through when some site allows it (leads.cors); the view then checks that the
# site named in the request allows it.
CORS_URLS_REGEX = r"^/public/"
CORS_ALLOW_CREDENTIALS = False
CORS_PREFLIGHT_MAX_AGE = 3600

# Where counselors reach the console (links in e-mails).
PUBLIC_URL = env("PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")

LEADS = {
    # Public form: submissions per (IP, site) per minute, and reads of its config.
    "FORM_RATE": env("LEADS_FORM_RATE", "10/minute"),
    "FORM_CONFIG_RATE": env("LEADS_FORM_CONFIG_RATE", "120/minute"),
    # Tracking beacons (targeting) per (IP, site).
    "BEACON_RATE": env("TRACK_BEACON_RATE", "120/minute"),
    # Beat interval of the reminder/overdue scan (seconds).
    "SCAN_SECONDS": float(env("LEADS_SCAN_SECONDS", "15")),
    "EXPORT_MAX_ROWS": env_int("LEADS_EXPORT_MAX_ROWS", 200_000),
}

EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "livechat@localhost")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own console handler on `django` (DEBUG) printed every django.*
        # line a second time beside the root's: the root prints them once.
        "django": {"handlers": [], "level": env("LOG_LEVEL", "INFO")},
        "daphne": {"level": "WARNING"},
        "django.channels.server": {"level": "WARNING"},
    },
}
