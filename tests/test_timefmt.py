"""The staff time rule: the site's zone, always labelled (core/timefmt.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.timefmt import iso_local, staff_time, zone_abbreviation

SEOUL = ZoneInfo("Asia/Seoul")
NEW_YORK = ZoneInfo("America/New_York")
DUBAI = ZoneInfo("Asia/Dubai")  # the zone database has no letters for it: "+04"
KOLKATA = ZoneInfo("Asia/Kolkata")


def test_times_are_in_the_zone_and_labelled():
    moment = datetime(2026, 3, 10, 15, 30, tzinfo=UTC)
    assert staff_time(moment, SEOUL) == "2026-03-11 00:30 KST"  # past midnight
    assert staff_time(moment, NEW_YORK) == "2026-03-10 11:30 EDT"  # DST from 8 March
    assert staff_time(datetime(2026, 1, 5, 15, 30, tzinfo=UTC), NEW_YORK) == (
        "2026-01-05 10:30 EST"
    )
    assert staff_time(moment, DUBAI) == "2026-03-10 19:30 UTC+04:00"
    assert zone_abbreviation(moment, ZoneInfo("America/St_Johns")) == "NDT"
    assert zone_abbreviation(moment, ZoneInfo("Asia/Kathmandu")) == "UTC+05:45"
    assert zone_abbreviation(moment, ZoneInfo("America/Caracas")) == "UTC-04:00"
    assert staff_time(None, SEOUL) == "-"


def test_machine_readable_values_carry_their_offset():
    moment = datetime(2026, 3, 10, 15, 30, 59, tzinfo=UTC)
    assert iso_local(moment, SEOUL) == "2026-03-11T00:30+09:00"
    assert iso_local(moment, KOLKATA) == "2026-03-10T21:00+05:30"
    assert iso_local(moment, ZoneInfo("UTC")) == "2026-03-10T15:30+00:00"
    assert iso_local(None, SEOUL) == ""
