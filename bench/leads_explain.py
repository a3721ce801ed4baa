"""--explain of bench/leads.py, in the bench process against the benchmark database:

1. EXPLAIN (ANALYZE, BUFFERS) of the list queries exactly as leads.api builds them
   (LeadViewSet.get_queryset + LeadFilter + the cursor pagination's ordering and
   page size + 1), through Django's QuerySet.explain(); the fifth cursor page too;
2. every SQL statement one list, stats and export request runs, with its time
   (in-process through Django's test client, no daphne), so the per-request
   overhead around the main query is visible.
"""

from __future__ import annotations

import csv
import io
import time
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Q
from django.test import Client
from rest_framework.test import APIRequestFactory, force_authenticate

from chat.models import Site
from leads.api import LeadPagination, LeadViewSet, _cell
from leads.models import Lead

EXPORT_VALUES = (
    "reference",
    "created_at",
    "source",
    "status",
    "name",
    "phone",
    "email",
    "callback_due_at",
    "assignee__display_name",
    "marketing_consent",
    "message",
)


def list_queryset(user, params: dict):
    """The queryset LeadViewSet.list pages through for these query parameters."""
    request = APIRequestFactory().get("/api/leads/", params, HTTP_HOST="127.0.0.1")
    force_authenticate(request, user=user)
    view = LeadViewSet(action_map={"get": "list"})
    view.args, view.kwargs, view.format_kwarg, view.headers = (), {}, None, {}
    drf_request = view.initialize_request(request)
    view.request = drf_request
    view.initial(drf_request)
    queryset = view.filter_queryset(view.get_queryset())
    size = int(params.get("page_size", LeadPagination.page_size))
    return queryset.order_by(*LeadPagination.ordering), size


def _explain(title: str, queryset) -> None:
    queryset.explain(analyze=True)  # once to warm the cache, then the one shown
    print(f"\n-- {title}\n{queryset.query}\n")
    print(queryset.explain(analyze=True, buffers=True))


def _capture(client: Client, path: str) -> None:
    """Run one request in-process; print each statement with its time, then
    EXPLAIN ANALYZE the slowest SELECT."""
    records: list[tuple[float, str, object]] = []

    def timed(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            records.append((time.perf_counter() - start, sql, params))

    started = time.perf_counter()
    with connection.execute_wrapper(timed):
        response = client.get(path, HTTP_HOST="127.0.0.1")
        size = (
            sum(len(part) for part in response.streaming_content)
            if response.streaming
            else len(response.content)
        )
    wall = (time.perf_counter() - started) * 1000
    total = sum(r[0] for r in records) * 1000
    print(
        f"\n-- {path}: HTTP {response.status_code}, {size:,} bytes, "
        f"{len(records)} statements, {total:.1f} ms in them, {wall:.1f} ms in all"
    )
    for seconds, sql, _params in records:
        print(f"   {seconds * 1000:8.2f} ms  {' '.join(sql.split())[:140]}")
    selects = [r for r in records if r[1].lstrip().startswith("SELECT")]
    _seconds, sql, params = max(selects)
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print(f"\n   slowest SELECT:\n{plan}")


def report(info: dict) -> None:
    user = get_user_model().objects.get(username=info["manager"])
    site = info["site"]
    base = {"site": site, "status": "new", "page_size": "50"}
    cases = [
        ("main list: site + status=new", base),
        ("q = name fragment", {**base, "q": info["name_fragment"]}),
        ("q = name fragment, any status", {"site": site, "q": info["name_fragment"]}),
        ("q = phone (national format)", {**base, "q": info["phone_national"]}),
        (
            "q = last 4 digits, any status",
            {"site": site, "q": info["phone_national"][-4:]},
        ),
        (
            "assignee + status=contacted",
            {"site": site, "assignee": str(info["assignee"]), "status": "contacted"},
        ),
        ("overdue=true", {**base, "overdue": "true"}),
    ]
    print("\n== EXPLAIN ANALYZE of the list queries (leads.api's queryset)")
    for title, params in cases:
        queryset, size = list_queryset(user, params)
        _explain(title, queryset[: size + 1])
        if title.startswith("main"):
            plain = queryset.all()
            plain.query.distinct = False
            _explain(
                "what-if: main list without DISTINCT "
                "(MultipleChoiceFilter(..., distinct=False))",
                plain[: size + 1],
            )
            # DRF's cursor keeps the position as created_at < the last row's.
            seen = list(queryset.values_list("created_at", flat=True)[: 4 * size])
            if len(seen) == 4 * size:
                _explain(
                    "main list, page 5 (cursor position)",
                    queryset.filter(created_at__lt=seen[-1])[: size + 1],
                )
    open_q = Q(overdue_since__isnull=False, status__in=Lead.OPEN_STATUSES)
    _explain(
        "what-if: stats in one query (by source and status, overdue as a FILTER)",
        Lead.objects.filter(site_id__in=[site], site_id=site)
        .order_by()
        .values_list("source", "status")
        .annotate(n=Count("id"), overdue=Count("id", filter=open_q)),
    )
    print("\n== SQL per request (in-process, Django test client)")
    client = Client()
    client.force_login(user)
    for path in (
        f"/api/leads/?site={site}&status=new&page_size=50",
        f"/api/leads/stats/?site={site}",
        f"/api/leads/export/?site={site}&status=new",
    ):
        _capture(client, path)
    _export_what_if(client, site)


def _export_what_if(client: Client, site: int) -> None:
    """The site's export through the app (in-process, whole stream read) against
    the same CSV built from values_list (the 11 columns, no model instances, no
    DISTINCT), written 500 rows per chunk."""
    started = time.perf_counter()
    response = client.get(f"/api/leads/export/?site={site}", HTTP_HOST="127.0.0.1")
    parts = list(response.streaming_content)
    app_ms = (time.perf_counter() - started) * 1000
    app_rows = b"".join(parts).count(b"\n") - 1
    started = time.perf_counter()
    zone = ZoneInfo(Site.objects.get(pk=site).time_zone)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    rows = chunks = 0

    def local(value) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

    for row in (
        Lead.objects.filter(site_id=site)
        .order_by("-created_at", "-id")
        .values_list(*EXPORT_VALUES)
        .iterator(chunk_size=2000)
    ):
        ref, created, source, state, name, phone, email, due, who, consent, text = row
        writer.writerow(
            [ref, local(created), source, state, _cell(name), phone, _cell(email),
             local(due), _cell(who or ""), "yes" if consent else "no", _cell(text)]
        )  # fmt: skip
        rows += 1
        if rows % 500 == 0:
            buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            chunks += 1
    lean_ms = (time.perf_counter() - started) * 1000
    print(
        f"\n== what-if export of site {site}, in-process: the app {app_ms:,.0f} ms for "
        f"{app_rows:,} rows in {len(parts):,} parts ({app_ms * 1000 / app_rows:.0f} "
        f"us/row); values_list + 500-row chunks {lean_ms:,.0f} ms for {rows:,} rows "
        f"in {chunks + 1} chunks ({lean_ms * 1000 / max(1, rows):.0f} us/row)"
    )
