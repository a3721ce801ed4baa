"""The clock of targeting: real time, or real time run faster for tests and demos
(`TARGETING_CLOCK_SPEED`, e.g. 20 makes a 60 s dwell take 3 s). Event times, rule
evaluation and the server-side timers all read this clock, so they stay consistent.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

from django.utils import timezone

_speed = float(os.environ.get("TARGETING_CLOCK_SPEED", "1") or 1)
_origin: tuple[datetime, float] = (timezone.now(), time.monotonic())


def now() -> datetime:
    if _speed == 1.0:
        return timezone.now()
    start, mono = _origin
    return start + timedelta(seconds=(time.monotonic() - mono) * _speed)


def real_seconds_until(at: datetime) -> float:
    """How long to sleep, in real seconds, until `at` on this clock."""
    return max(0.0, (at - now()).total_seconds() / _speed)


def set_speed(speed: float, *, start: datetime | None = None) -> None:
    """Tests: run the clock `speed` times faster from now on (from `start`, if
    given, so the time of day is the test's choice)."""
    global _speed, _origin
    _origin = (start or now(), time.monotonic())
    _speed = float(speed)
