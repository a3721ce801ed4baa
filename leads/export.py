"""The managers' CSV export: rows from the keyset pages of `leads.selectors`, written
as CSV text chunk by chunk, streamed to the client (under ASGI too), with cells
that a spreadsheet would run as formulas quoted.

Times are ISO 8601 in each lead's site's zone, with the offset; the time columns'
headers name the zone when every site exported shares one.
"""

from __future__ import annotations

import csv
from collections.abc import AsyncIterator, Iterator

from asgiref.sync import sync_to_async
from django.db.models import QuerySet

from chat.models import zone_named
from core.timefmt import iso_local
from leads import selectors
from leads.models import Lead

CSV_COLUMNS = [
    "reference",
    "created_at",
    "source",
    "status",
    "name",
    "phone",
    "email",
    "callback_due_at",
    "assignee",
    "marketing_consent",
    "message",
]
CSV_CHUNK = 1000
CSV_TIMES = {"created_at", "callback_due_at"}


class _Echo:
    def write(self, value):
        return value


def csv_chunks(
    *, leads: QuerySet[Lead], limit: int, zone: str | None = None
) -> Iterator[str]:
    """The CSV of the first `limit` leads (newest first) in chunks of CSV_CHUNK
    rows, one keyset page each (rows shaped as selectors.EXPORT_FIELDS). `zone`:
    the zone every site exported shares."""
    out = _Echo()
    writer = csv.writer(out)

    def local(value, zone_name: str) -> str:
        return iso_local(value, zone_named(zone_name))

    label = zone or "site time zone"
    header = [
        f"{name} ({label})" if name in CSV_TIMES else name for name in CSV_COLUMNS
    ]
    yield "\ufeff" + writer.writerow(header)  # the BOM: Excel reads UTF-8
    sent, last = 0, None
    while sent < limit:
        batch = selectors.lead_export_page(
            leads=leads, after=last, size=min(CSV_CHUNK, limit - sent)
        )
        if not batch:
            return
        yield "".join(
            writer.writerow(
                [ref, local(created, tz), source, status, csv_cell(name), phone,
                 csv_cell(email), local(due, tz), csv_cell(assignee or ""),
                 "yes" if marketing else "no", csv_cell(message)]
            )
            for (ref, created, source, status, name, phone, email, due, assignee,
                 marketing, message, tz, _) in batch
        )  # fmt: skip
        sent += len(batch)
        last = (batch[-1][1], batch[-1][-1])


async def on_sync_thread(chunks: Iterator[str]) -> AsyncIterator[str]:
    """Stream a sync generator under ASGI one chunk at a time (Django would read a
    sync iterator to the end before sending the first byte)."""
    take = sync_to_async(lambda: next(chunks, None), thread_sensitive=True)
    while (chunk := await take()) is not None:
        yield chunk


def csv_cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value
