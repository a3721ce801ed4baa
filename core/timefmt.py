"""Times as staff see them: in the site's time zone (`Site.zone`), always labelled.

The rule (docs/architecture.md, "Times staff see"): pages, CSV exports and e-mails
show a time in the zone of the site it belongs to, with the zone written next to it:
its abbreviation where the zone database has a letter one ("14:05 KST", "09:30 EST"),
else the UTC offset ("14:05 UTC+04:00"). Machine-readable values (CSV) are ISO 8601
with the offset ("2026-03-11T14:05+09:00").
"""

from __future__ import annotations

from datetime import datetime, tzinfo


def zone_abbreviation(value: datetime, zone: tzinfo) -> str:
    """ "KST", "EDT"; "UTC+04:00" where the zone has no letter abbreviation."""
    local = value.astimezone(zone)
    name = local.tzname() or ""
    if name.isalpha():
        return name
    offset = local.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{rest:02d}"


def staff_time(value: datetime | None, zone: tzinfo, *, empty: str = "-") -> str:
    """ "2026-03-11 14:05 KST"."""
    if value is None:
        return empty
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {zone_abbreviation(value, zone)}"


def iso_local(value: datetime | None, zone: tzinfo) -> str:
    """ "2026-03-11T14:05+09:00": ISO 8601 in the zone, with its offset."""
    if value is None:
        return ""
    return value.astimezone(zone).isoformat(timespec="minutes")
