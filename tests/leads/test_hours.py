"""Tests for leads.hours: pure functions, so every `now` is passed in and no database
or clock freezing is needed."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from leads.hours import (
    OpenState,
    Period,
    Schedule,
    callback_slots,
    intervals,
    next_change,
    open_state,
    slot_offered,
)

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")

WEEKDAYS = range(5)
KR_OFFICE = Schedule(
    tz=SEOUL,
    periods=tuple(
        p
        for wd in WEEKDAYS
        for p in (Period(wd, time(9), time(12)), Period(wd, time(13), time(18)))
    ),
    holiday_country="KR",
)
NY_OFFICE = Schedule(
    tz=NEW_YORK, periods=tuple(Period(wd, time(9), time(17)) for wd in WEEKDAYS)
)
ALWAYS = tuple(Period(wd, time(0), time(0)) for wd in range(7))


def kst(*args: int) -> datetime:
    return datetime(*args, tzinfo=SEOUL)


def nyc(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=NEW_YORK, fold=fold)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def is_utc(value: datetime | None) -> bool:
    return value is not None and value.utcoffset() == timedelta(0)


# --- open_state: boundaries ---------------------------------------------------------


def test_open_at_the_opening_minute():
    state = open_state(KR_OFFICE, kst(2026, 9, 7, 9, 0, 0))
    assert state == OpenState(True, "open", kst(2026, 9, 7, 12), None)
    assert state.closes_at == utc(2026, 9, 7, 3) and is_utc(state.closes_at)


def test_closed_just_before_opening():
    state = open_state(KR_OFFICE, kst(2026, 9, 7, 8, 59, 59))
    assert (state.open, state.reason, state.closes_at) == (False, "closed_hours", None)
    assert state.opens_at == utc(2026, 9, 7, 0) and is_utc(state.opens_at)


def test_open_until_the_closing_minute():
    assert open_state(KR_OFFICE, kst(2026, 9, 7, 17, 59, 59)).closes_at == kst(
        2026, 9, 7, 18
    )
    state = open_state(KR_OFFICE, kst(2026, 9, 7, 18, 0, 0))
    assert (state.open, state.reason) == (False, "closed_hours")
    assert state.opens_at == kst(2026, 9, 8, 9)


@pytest.mark.parametrize(
    ("now", "is_open"),
    [
        (kst(2026, 9, 7, 11, 59, 59), True),
        (kst(2026, 9, 7, 12, 0), False),
        (kst(2026, 9, 7, 12, 30), False),
        (kst(2026, 9, 7, 13, 0), True),
    ],
)
def test_lunch_break(now, is_open):
    state = open_state(KR_OFFICE, now)
    assert state.open is is_open
    if not is_open:
        assert state.opens_at == kst(2026, 9, 7, 13)
        assert state.reason == "closed_hours"


@pytest.mark.parametrize(
    "now", [kst(2026, 9, 4, 18), kst(2026, 9, 5, 10), kst(2026, 9, 6, 23, 59)]
)
def test_weekend_opens_next_monday(now):
    state = open_state(KR_OFFICE, now)
    assert (state.open, state.reason) == (False, "closed_hours")
    assert state.opens_at == kst(2026, 9, 7, 9) == utc(2026, 9, 7, 0)


# --- holidays and closures -----------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "name_part", "opens_at"),
    [
        (kst(2026, 9, 24, 10), "Chuseok", kst(2026, 9, 28, 9)),
        (kst(2026, 9, 25, 8), "Chuseok", kst(2026, 9, 28, 9)),
        (kst(2026, 10, 9, 10), "Hangul Day", kst(2026, 10, 12, 9)),
        (kst(2026, 12, 25, 19), "Christmas", kst(2026, 12, 28, 9)),
    ],
)
def test_korean_public_holidays(now, name_part, opens_at):
    state = open_state(KR_OFFICE, now)
    assert (state.open, state.reason) == (False, "holiday")
    assert name_part in state.holiday_name
    assert state.opens_at == opens_at


def test_holiday_on_a_day_without_periods_is_plain_closed_hours():
    state = open_state(KR_OFFICE, kst(2026, 9, 26, 10))  # Saturday, Chuseok day 2
    assert (state.reason, state.holiday_name) == ("closed_hours", "")


def test_no_holiday_country_ignores_holidays():
    schedule = Schedule(SEOUL, KR_OFFICE.periods)
    assert open_state(schedule, kst(2026, 9, 24, 10)).open


def test_closed_dates_give_closure():
    schedule = Schedule(SEOUL, KR_OFFICE.periods, closed_dates={date(2026, 9, 8)})
    state = open_state(schedule, kst(2026, 9, 8, 10))
    assert (state.open, state.reason, state.holiday_name) == (False, "closure", "")
    assert state.opens_at == kst(2026, 9, 9, 9)
    assert open_state(schedule, kst(2026, 9, 7, 17)).closes_at == kst(2026, 9, 7, 18)


def test_holiday_wins_over_closure_on_the_same_date():
    schedule = Schedule(
        SEOUL, KR_OFFICE.periods, frozenset({date(2026, 10, 9)}), holiday_country="KR"
    )
    assert open_state(schedule, kst(2026, 10, 9, 10)).reason == "holiday"


# --- overnight and midnight ----------------------------------------------------------

NIGHT = Schedule(SEOUL, (Period(4, time(22), time(2)),), holiday_country="KR")


def test_overnight_period():
    assert not open_state(NIGHT, kst(2026, 9, 4, 21, 59, 59)).open
    state = open_state(NIGHT, kst(2026, 9, 5, 1))
    assert state.open and state.closes_at == kst(2026, 9, 5, 2)
    closed = open_state(NIGHT, kst(2026, 9, 5, 2))
    assert (closed.open, closed.reason) == (False, "closed_hours")
    assert closed.opens_at == kst(2026, 9, 11, 22)


def test_overnight_period_runs_into_a_holiday():
    # Friday 2026-10-02 is a working day; Saturday 10-03 is National Foundation Day.
    assert open_state(NIGHT, kst(2026, 10, 3, 1)).open


def test_overnight_period_starting_on_a_holiday_is_skipped():
    state = open_state(NIGHT, kst(2026, 12, 25, 23))  # Christmas, a Friday
    assert (state.open, state.reason) == (False, "holiday")
    assert not open_state(NIGHT, kst(2026, 12, 26, 1)).open
    # The next Friday, 2027-01-01, is New Year's Day as well.
    assert state.opens_at == kst(2027, 1, 8, 22)


def test_closes_at_midnight():
    schedule = Schedule(SEOUL, (Period(0, time(18), time(0)),))
    state = open_state(schedule, kst(2026, 9, 7, 23, 59, 59))
    assert state.open and state.closes_at == kst(2026, 9, 8, 0)
    assert not open_state(schedule, kst(2026, 9, 8, 0)).open


def test_full_days_merge_across_midnight():
    schedule = Schedule(
        SEOUL, (Period(0, time(0), time(0)), Period(1, time(0), time(0)))
    )
    assert open_state(schedule, kst(2026, 9, 7, 0)).closes_at == kst(2026, 9, 9, 0)
    assert intervals(schedule, kst(2026, 9, 8, 12), kst(2026, 9, 8, 13)) == [
        (kst(2026, 9, 7, 0), kst(2026, 9, 9, 0))
    ]


# --- intervals -----------------------------------------------------------------------


def test_intervals_for_a_week_are_utc_sorted_and_split_by_lunch():
    result = intervals(KR_OFFICE, kst(2026, 9, 7), kst(2026, 9, 14))
    assert len(result) == 10
    assert result[0] == (utc(2026, 9, 7, 0), utc(2026, 9, 7, 3))
    assert result[1] == (utc(2026, 9, 7, 4), utc(2026, 9, 7, 9))
    assert all(is_utc(s) and is_utc(e) for s, e in result)
    assert result == sorted(result)


def test_intervals_merge_adjacent_and_overlapping_periods():
    periods = (
        Period(0, time(9), time(12)),
        Period(0, time(12), time(14)),
        Period(0, time(13), time(15)),
    )
    result = intervals(Schedule(SEOUL, periods), kst(2026, 9, 7), kst(2026, 9, 8))
    assert result == [(kst(2026, 9, 7, 9), kst(2026, 9, 7, 15))]


def test_intervals_are_not_clipped_to_the_window():
    result = intervals(NIGHT, kst(2026, 9, 5, 1), kst(2026, 9, 5, 12))
    assert result == [(kst(2026, 9, 4, 22), kst(2026, 9, 5, 2))]
    assert intervals(NIGHT, kst(2026, 9, 5, 2), kst(2026, 9, 5, 12)) == []


def test_intervals_follow_chains_to_their_true_ends():
    closures = frozenset({date(2026, 9, 1), date(2026, 9, 20)})
    schedule = Schedule(SEOUL, ALWAYS, closures)
    assert intervals(schedule, kst(2026, 9, 10), kst(2026, 9, 11)) == [
        (kst(2026, 9, 2, 0), kst(2026, 9, 20, 0))
    ]


def test_intervals_empty_window():
    assert intervals(KR_OFFICE, kst(2026, 9, 7, 10), kst(2026, 9, 7, 10)) == []


# --- daylight saving time ------------------------------------------------------------


def test_new_york_opening_moves_in_utc_with_dst():
    assert open_state(NY_OFFICE, utc(2026, 3, 6, 14)).open  # 09:00 EST
    assert not open_state(NY_OFFICE, utc(2026, 3, 6, 13, 59, 59)).open
    # Friday evening -> Monday after the spring-forward Sunday: 09:00 EDT.
    assert open_state(NY_OFFICE, utc(2026, 3, 6, 23)).opens_at == utc(2026, 3, 9, 13)
    assert open_state(NY_OFFICE, utc(2026, 3, 9, 13)).open
    assert not open_state(NY_OFFICE, utc(2026, 3, 9, 12, 59, 59)).open


def test_fall_back_day():
    sunday = Schedule(
        NEW_YORK, (Period(5, time(9), time(17)), Period(6, time(9), time(17)))
    )
    # Saturday 2026-10-31 is EDT, Sunday 2026-11-01 (after 02:00) is EST.
    assert intervals(sunday, nyc(2026, 10, 31), nyc(2026, 11, 2)) == [
        (utc(2026, 10, 31, 13), utc(2026, 10, 31, 21)),
        (utc(2026, 11, 1, 14), utc(2026, 11, 1, 22)),
    ]
    night = Schedule(NEW_YORK, (Period(6, time(0), time(3)),))
    ((start, end),) = intervals(night, nyc(2026, 11, 1), nyc(2026, 11, 2))
    assert (start, end - start) == (utc(2026, 11, 1, 4), timedelta(hours=4))


def test_fold_time_means_its_first_instance():
    schedule = Schedule(NEW_YORK, (Period(6, time(1, 30), time(5)),))
    state = open_state(schedule, utc(2026, 11, 1, 0))
    assert state.opens_at == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, not 01:30 EST


def test_period_spanning_the_spring_forward_gap_is_two_real_hours():
    schedule = Schedule(NEW_YORK, (Period(6, time(1), time(4)),))
    ((start, end),) = intervals(schedule, nyc(2026, 3, 8), nyc(2026, 3, 9))
    assert (start, end) == (utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))


def test_gap_wall_time_maps_like_zoneinfo_fold_zero():
    schedule = Schedule(NEW_YORK, (Period(6, time(2, 30), time(5)),))
    # 02:30 does not exist; fold=0 reads it with EST: 07:30 UTC == 03:30 EDT.
    assert open_state(schedule, utc(2026, 3, 8, 7)).opens_at == utc(2026, 3, 8, 7, 30)
    squeezed = Schedule(NEW_YORK, (Period(6, time(2, 30), time(3, 10)),))
    assert intervals(squeezed, nyc(2026, 3, 8), nyc(2026, 3, 9)) == []


# --- callback slots ------------------------------------------------------------------


def local_starts(slots, tz=SEOUL):
    return [s.astimezone(tz).strftime("%m-%d %H:%M") for s, _ in slots]


def test_slots_for_a_day_skip_lunch_and_are_utc():
    slots = callback_slots(KR_OFFICE, kst(2026, 9, 7, 8), days=1)
    starts = local_starts(slots)
    assert len(slots) == 16
    assert starts[:2] == ["09-07 09:00", "09-07 09:30"]
    assert "09-07 11:30" in starts and "09-07 13:00" in starts
    assert not any("12:" in s for s in starts)
    assert starts[-1] == "09-07 17:30"
    assert slots[0] == (utc(2026, 9, 7, 0), utc(2026, 9, 7, 0, 30))
    assert all(is_utc(s) and e - s == timedelta(minutes=30) for s, e in slots)


@pytest.mark.parametrize(
    ("now", "first"),
    [
        (kst(2026, 9, 7, 9, 0), "09-07 09:30"),
        (kst(2026, 9, 7, 9, 10), "09-07 10:00"),
        (kst(2026, 9, 7, 11, 45), "09-07 13:00"),
        (kst(2026, 9, 7, 17, 30), "09-08 09:00"),
    ],
)
def test_slots_respect_lead_time(now, first):
    assert local_starts(callback_slots(KR_OFFICE, now))[0] == first


def test_slots_align_to_the_period_opening():
    starts = local_starts(
        callback_slots(KR_OFFICE, kst(2026, 9, 7, 7), slot_minutes=45)
    )
    monday = [s[6:] for s in starts if s.startswith("09-07")]
    # 11:15-12:00 fits before lunch; the afternoon grid restarts at 13:00, and
    # 17:30 is dropped because it would end at 18:15.
    assert monday == [
        *("09:00", "09:45", "10:30", "11:15"),
        *("13:00", "13:45", "14:30", "15:15", "16:00", "16:45"),
    ]


def test_slots_skip_holidays_and_stop_at_the_day_limit():
    slots = callback_slots(KR_OFFICE, kst(2026, 9, 23, 17), days=7)
    dates = sorted({s.astimezone(SEOUL).date() for s, _ in slots})
    assert dates == [date(2026, 9, 23), date(2026, 9, 28), date(2026, 9, 29)]
    assert local_starts(slots)[0] == "09-23 17:30"
    two_days = callback_slots(KR_OFFICE, kst(2026, 9, 7, 8), days=2)
    assert {s.astimezone(SEOUL).date() for s, _ in two_days} == {
        date(2026, 9, 7),
        date(2026, 9, 8),
    }
    assert callback_slots(KR_OFFICE, kst(2026, 9, 7, 8), days=0) == []
    assert len(callback_slots(KR_OFFICE, kst(2026, 9, 7, 8), limit=5)) == 5


def test_slots_cover_the_repeated_and_skipped_hours_once():
    schedule = Schedule(NEW_YORK, ALWAYS)
    fall = callback_slots(schedule, nyc(2026, 10, 31, 23), days=2, min_lead_minutes=0)
    starts = [s for s, _ in fall if utc(2026, 11, 1, 4) <= s < utc(2026, 11, 1, 8)]
    assert starts == [utc(2026, 11, 1, 4) + timedelta(minutes=30 * i) for i in range(8)]
    spring = callback_slots(schedule, nyc(2026, 3, 7, 23), days=2, min_lead_minutes=0)
    steps = {b[0] - a[0] for a, b in zip(spring, spring[1:], strict=False)}
    assert steps == {timedelta(minutes=30)}


def test_overnight_slots_from_yesterday():
    slots = callback_slots(NIGHT, kst(2026, 9, 5, 0, 0), days=1, min_lead_minutes=0)
    assert local_starts(slots) == [
        "09-05 00:00",
        "09-05 00:30",
        "09-05 01:00",
        "09-05 01:30",
    ]


def test_slot_arguments_are_validated():
    with pytest.raises(ValueError):
        callback_slots(KR_OFFICE, kst(2026, 9, 7, 8), slot_minutes=0)


@pytest.mark.parametrize(
    ("start", "offered"),
    [
        (kst(2026, 9, 8, 9, 30), True),
        (utc(2026, 9, 8, 0, 30), True),  # the same instant written in UTC
        (kst(2026, 9, 8, 17, 30), True),
        (kst(2026, 9, 8, 9, 15), False),  # off the grid
        (kst(2026, 9, 8, 8, 30), False),  # before opening
        (kst(2026, 9, 8, 12, 0), False),  # lunch
        (kst(2026, 9, 8, 18, 0), False),  # closing time
        (kst(2026, 9, 7, 10, 0), False),  # inside the lead time
        (kst(2026, 9, 12, 10, 0), False),  # Saturday
        (kst(2026, 9, 24, 10, 0), False),  # Chuseok eve
        (kst(2026, 9, 14, 10, 0), False),  # beyond 7 local days
    ],
)
def test_slot_offered(start, offered):
    assert slot_offered(KR_OFFICE, kst(2026, 9, 7, 9, 45), start) is offered


def test_slot_offered_passes_options_through():
    now = kst(2026, 9, 7, 9, 45)
    assert not slot_offered(KR_OFFICE, now, kst(2026, 9, 8, 9, 45))
    assert slot_offered(KR_OFFICE, now, kst(2026, 9, 8, 9, 45), slot_minutes=15)
    assert not slot_offered(KR_OFFICE, now, kst(2026, 9, 8, 9), days=1)


# --- next_change, empty schedules, validation ----------------------------------------


def test_next_change():
    assert next_change(KR_OFFICE, kst(2026, 9, 7, 10)) == kst(2026, 9, 7, 12)
    assert next_change(KR_OFFICE, kst(2026, 9, 7, 12)) == kst(2026, 9, 7, 13)
    assert next_change(KR_OFFICE, kst(2026, 9, 24, 12)) == kst(2026, 9, 28, 9)


def test_empty_schedule():
    empty = Schedule(SEOUL, ())
    now = kst(2026, 9, 7, 10)
    assert open_state(empty, now) == OpenState(False, "no_hours", None, None)
    assert next_change(empty, now) is None
    assert callback_slots(empty, now) == []
    assert intervals(empty, now, now + timedelta(days=7)) == []


def test_no_opening_within_a_year():
    mondays = frozenset(date(2026, 9, 7) + timedelta(weeks=i) for i in range(60))
    schedule = Schedule(SEOUL, (Period(0, time(9), time(18)),), mondays)
    state = open_state(schedule, kst(2026, 9, 7, 10))
    assert (state.reason, state.opens_at) == ("closure", None)


def test_always_open_has_no_closing_within_a_year():
    state = open_state(Schedule(SEOUL, ALWAYS), kst(2026, 9, 7, 10))
    assert (state.open, state.closes_at) == (True, None)


def test_naive_datetimes_are_rejected():
    naive = datetime(2026, 9, 7, 10)
    with pytest.raises(ValueError):
        open_state(KR_OFFICE, naive)
    with pytest.raises(ValueError):
        next_change(KR_OFFICE, naive)
    with pytest.raises(ValueError):
        callback_slots(KR_OFFICE, naive)
    with pytest.raises(ValueError):
        intervals(KR_OFFICE, naive, kst(2026, 9, 8))
    with pytest.raises(ValueError):
        slot_offered(KR_OFFICE, kst(2026, 9, 7), naive)


@pytest.mark.parametrize("weekday", [-1, 7, True])
def test_period_weekday_is_validated(weekday):
    with pytest.raises(ValueError):
        Period(weekday, time(9), time(18))


def test_unknown_holiday_country_is_rejected():
    with pytest.raises(ValueError):
        Schedule(SEOUL, (), holiday_country="XX")
