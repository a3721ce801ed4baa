"""The admission gate on its own: bound, tickets, the measured rate, retry hints."""

from __future__ import annotations

import pytest

from chat.admission import MIN_HINT_SECONDS, RATE_MARGIN, Admission


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def gate(clock: FakeClock, **overrides) -> Admission:
    options = {
        "limit": 2,
        "budget_seconds": 8.0,
        "max_hint_seconds": 60.0,
        "initial_resume_seconds": 0.1,
        "clock": clock,
        **overrides,
    }
    return Admission(**options)


def test_admits_up_to_the_limit_then_refuses():
    clock = FakeClock()
    g = gate(clock)
    first, second = g.try_enter(), g.try_enter()
    assert first is not None and second is not None
    assert g.try_enter() is None
    assert g.stats.refused == 1
    g.leave(first, completed=True)
    assert g.try_enter() is not None


def test_leave_is_idempotent():
    g = gate(FakeClock())
    ticket = g.try_enter()
    g.leave(ticket, completed=True)
    g.leave(ticket, completed=False)
    assert g.in_progress == 0
    assert (g.stats.completed, g.stats.expired) == (1, 0)


def test_rate_follows_measured_resume_times():
    clock = FakeClock()
    g = gate(clock, limit=10, initial_resume_seconds=0.1)
    assert g.rate == pytest.approx(100)
    for _ in range(200):
        ticket = g.try_enter()
        clock.now += 0.5
        g.leave(ticket, completed=True)
    # Resumes now take 0.5 s: ten at a time make 20 a second.
    assert g.rate == pytest.approx(20, rel=0.01)


def test_abandoned_resumes_do_not_change_the_rate():
    clock = FakeClock()
    g = gate(clock, initial_resume_seconds=0.1)
    ticket = g.try_enter()
    clock.now += 30
    g.leave(ticket, completed=False)
    assert g.mean_resume == pytest.approx(0.1)
    assert g.stats.expired == 1


def test_refused_clients_get_distinct_return_times_at_the_rate():
    clock = FakeClock()
    g = gate(clock, limit=4, initial_resume_seconds=0.4)  # 10 resumes a second
    hints = [g.retry_hint() for _ in range(50)]
    assert hints[0] == pytest.approx(MIN_HINT_SECONDS)
    step = 0.1 / RATE_MARGIN  # slots a little wider than the rate
    steps = [b - a for a, b in zip(hints, hints[1:], strict=False)]
    assert all(s == pytest.approx(step) for s in steps)
    # 50 refusals at about 10 a second: the last comes back about 5 s later.
    assert hints[-1] == pytest.approx(MIN_HINT_SECONDS + 49 * step)


def test_hints_shrink_as_time_passes():
    clock = FakeClock()
    g = gate(clock, limit=4, initial_resume_seconds=0.4)
    step = 0.1 / RATE_MARGIN
    last = [g.retry_hint() for _ in range(30)][-1]
    assert last == pytest.approx(MIN_HINT_SECONDS + 29 * step)
    clock.now += 2.0
    assert g.retry_hint() == pytest.approx(last - 2.0 + step)


def test_hints_are_capped():
    clock = FakeClock()
    g = gate(clock, limit=1, initial_resume_seconds=1.0, max_hint_seconds=5.0)
    hints = [g.retry_hint() for _ in range(20)]
    assert max(hints) == pytest.approx(5.0)


def test_overdue_after_the_budget():
    clock = FakeClock()
    g = gate(clock, budget_seconds=8.0)
    ticket = g.try_enter()
    clock.now += 7.9
    assert not g.overdue(ticket)
    clock.now += 0.2
    assert g.overdue(ticket)


def test_limit_must_be_positive():
    with pytest.raises(ValueError):
        Admission(limit=0, budget_seconds=1, max_hint_seconds=1)


def test_a_burst_before_any_resume_finished_is_not_promised_a_faster_rate():
    clock = FakeClock()
    g = gate(clock, limit=4, initial_resume_seconds=0.25)
    for _ in range(4):
        g.try_enter()
    clock.now += 2.0  # nothing finished: the oldest resume has taken 2 s so far
    assert g.rate == pytest.approx(4 / 2.0)
    hints = [g.retry_hint() for _ in range(3)]
    assert hints[1] - hints[0] == pytest.approx(1 / (RATE_MARGIN * 2.0))


def test_the_oldest_resume_in_flight_leaves_the_estimate_when_done():
    clock = FakeClock()
    g = gate(clock, limit=4, initial_resume_seconds=0.25)
    slow = g.try_enter()
    clock.now += 3.0
    g.leave(slow, completed=False)
    assert g.rate == pytest.approx(4 / 0.25)
