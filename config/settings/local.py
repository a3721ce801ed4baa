"""Development: embedded defaults (SQLite, in-process layer) unless env overrides."""

import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: E402,F403
