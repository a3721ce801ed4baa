"""Development: the embedded defaults (SQLite, in-process layer) unless env says otherwise."""

import os

os.environ.setdefault("DEBUG", "1")

from .base import *  # noqa: E402,F403
