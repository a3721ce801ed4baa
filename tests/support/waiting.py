"""Waiting for a condition instead of sleeping for a guessed time.

`wait_until(predicate, timeout, what)` polls `predicate` until it returns something
truthy and returns that value; past `timeout` seconds it fails the test with `what`
(and the last value, when `describe` is given). `async_wait_until` is the same for
coroutines: its predicate may be sync or async, and it sleeps with `asyncio.sleep`, so
the event loop keeps serving the clients the test waits on.

A sync test driving Playwright must not block the thread with `time.sleep` while it
waits for something Playwright reports (a routed WebSocket's frames, `page.on`
events): those callbacks run only while Playwright is called. Pass
`sleep=pause(page)` there.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

INTERVAL = 0.05


def _failure(what: str, timeout: float, last: Any, describe) -> AssertionError:
    detail = f"; last: {describe(last)}" if describe is not None else ""
    return AssertionError(f"timed out after {timeout:g}s waiting for {what}{detail}")


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    what: str = "the condition",
    *,
    interval: float = INTERVAL,
    sleep: Callable[[float], Any] = time.sleep,
    describe: Callable[[Any], str] | None = None,
) -> T:
    """Poll `predicate` until truthy; return its value. The predicate is always
    tried once more after the deadline, so a slow poll cannot fail a met condition."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _failure(what, timeout, value, describe)
        sleep(interval)


async def async_wait_until(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = 10.0,
    what: str = "the condition",
    *,
    interval: float = INTERVAL,
    describe: Callable[[Any], str] | None = None,
) -> T:
    """`wait_until` for async code; `predicate` may return an awaitable."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _failure(what, timeout, value, describe)
        await asyncio.sleep(interval)


def pause(page) -> Callable[[float], None]:
    """A `sleep` for `wait_until` that lets Playwright dispatch its events."""
    return lambda seconds: page.wait_for_timeout(seconds * 1000)
