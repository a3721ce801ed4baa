"""Admission control for visitor sockets: goodput must not collapse under a storm.

When a server process dies, every widget it held reconnects to the survivors at once.
A process that starts a resume for every one of them half-serves all of them: the
database work of thousands of resumes queues on the process's one ORM thread, each
handshake waits behind it, daphne refuses the ones that pass its handshake timeout
with HTTP 403, the widgets give up waiting for `hello` and try again, and the server
keeps working for clients that are already gone (congestion collapse).

Instead each process bounds the visitor resumes it has in progress (from `connect`
to `hello`). A socket over the bound is accepted and closed at once with close code
4503 after a `retry` frame that says when to come back. The hint hands out return
times like tickets: each refusal gets the next free slot at the process's measured
resume rate, so refused clients come back spread out at the pace the process can
serve them, not all together. Counselor sockets are never held here: the service
depends on them and they are few.

The rate is measured, not configured: by Little's law, with the bound full, the
process completes `limit / resume time` resumes a second. The resume time is the
larger of an exponential average of finished resumes and the age of the oldest one
still in progress, so a burst that arrives before any resume has finished is not
promised a rate the process has not shown (slots handed out too early only come
back to be refused again, and every refusal costs a handshake). Slots are spaced
10% wider than the estimate for the same reason.

This module is pure (no Django, no I/O); the clock is injected for tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

# The smallest hint: a refused client comes back no sooner, whatever the rate.
MIN_HINT_SECONDS = 0.5
# Weight of the newest resume time in the running mean.
EWMA_WEIGHT = 0.2
# Slots are spaced for this share of the estimated rate.
RATE_MARGIN = 0.9


@dataclass(slots=True)
class Ticket:
    """An admitted resume; `deadline` is when the server stops working for it."""

    owner: Admission
    started: float
    deadline: float
    done: bool = False

    def release(self, *, completed: bool) -> None:
        self.owner.leave(self, completed=completed)

    def overdue(self) -> bool:
        return self.owner.overdue(self)


@dataclass(slots=True)
class Stats:
    admitted: int = 0
    refused: int = 0
    completed: int = 0
    expired: int = 0


class Admission:
    """Bounds resumes in progress in one process and hints when to retry."""

    def __init__(
        self,
        *,
        limit: int,
        budget_seconds: float,
        max_hint_seconds: float,
        initial_resume_seconds: float = 0.25,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError("the admission limit must be at least 1")
        self.limit = limit
        self.budget = budget_seconds
        self.max_hint = max_hint_seconds
        self.clock = clock
        self.in_progress = 0
        self.mean_resume = initial_resume_seconds
        # Admitted and not yet released, oldest first (dicts keep insertion order).
        self.flight: dict[int, Ticket] = {}
        self.next_slot = 0.0
        self.stats = Stats()

    @property
    def rate(self) -> float:
        """Resumes per second this process completes with the bound full."""
        resume = self.mean_resume
        if self.flight:
            oldest = next(iter(self.flight.values()))
            resume = max(resume, self.clock() - oldest.started)
        return self.limit / max(resume, 1e-4)

    def try_enter(self) -> Ticket | None:
        """A ticket if a resume may start now, else None (refuse with a hint)."""
        if self.in_progress >= self.limit:
            self.stats.refused += 1
            return None
        self.in_progress += 1
        self.stats.admitted += 1
        now = self.clock()
        ticket = Ticket(owner=self, started=now, deadline=now + self.budget)
        self.flight[id(ticket)] = ticket
        return ticket

    def leave(self, ticket: Ticket, *, completed: bool) -> None:
        """Free the ticket's place (idempotent); a completed resume updates the rate."""
        if ticket.done:
            return
        ticket.done = True
        self.in_progress -= 1
        self.flight.pop(id(ticket), None)
        if completed:
            self.stats.completed += 1
            took = self.clock() - ticket.started
            self.mean_resume += EWMA_WEIGHT * (took - self.mean_resume)
        else:
            self.stats.expired += 1

    def overdue(self, ticket: Ticket) -> bool:
        """The resume ran past its budget: its client has likely given up."""
        return self.clock() > ticket.deadline

    def retry_hint(self) -> float:
        """Seconds until this refused client should come back: the next free slot."""
        now = self.clock()
        slot = max(self.next_slot, now) + 1.0 / (RATE_MARGIN * self.rate)
        hint = min(max(slot - now, MIN_HINT_SECONDS), self.max_hint)
        # Past the cap, later clients share the last slot rather than pushing it on.
        self.next_slot = now + hint
        return hint

    def snapshot(self) -> dict[str, float | int]:
        return {
            "limit": self.limit,
            "in_progress": self.in_progress,
            "resumes_per_second": round(self.rate, 1),
            "mean_resume_ms": round(self.mean_resume * 1000, 1),
            "admitted": self.stats.admitted,
            "refused": self.stats.refused,
            "completed": self.stats.completed,
            "expired": self.stats.expired,
        }
