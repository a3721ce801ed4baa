"""Helpers for the pure targeting tests: a fixed ``NOW`` and snapshot builders."""

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from targeting.engine.conditions import compile_condition
from targeting.engine.evaluator import Decision, evaluate
from targeting.engine.snapshot import Snapshot

SEOUL = ZoneInfo("Asia/Seoul")
# Friday 2025-03-14, 12:00 in Seoul.
NOW = datetime(2025, 3, 14, 3, 0, tzinfo=UTC)
EPS = timedelta(microseconds=1)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def later(**delta: float) -> datetime:
    return NOW + timedelta(**delta)


def snap(**kw: Any) -> Snapshot:
    kw.setdefault("now", NOW)
    kw.setdefault("tz", SEOUL)
    return Snapshot(**kw)


def check(defn: dict[str, Any], s: Snapshot) -> Decision:
    return evaluate(compile_condition(defn), s)


def passes(defn: dict[str, Any], s: Snapshot) -> bool:
    """The condition's result, asserting the three evaluation paths agree."""
    cond = compile_condition(defn)
    fast = cond.test(s)
    timed, _ = cond.timed(s)
    explained = evaluate(cond, s)
    assert fast == timed == explained.matched, (fast, timed, explained.summary())
    return fast


def assert_wake_exact(defn: dict[str, Any], s: Snapshot) -> datetime:
    """The result holds until just before ``wake_at`` and differs at it."""
    d = check(defn, s)
    assert d.wake_at is not None, d.summary()
    assert d.wake_at > s.now
    assert passes(defn, s.at(d.wake_at - EPS)) == d.matched
    assert passes(defn, s.at(d.wake_at)) != d.matched
    return d.wake_at
