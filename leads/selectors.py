"""Reads of the lead database for the managers' API: the leads a counselor may see,
the search, the status counts, one lead with its timeline, and the CSV export's
keyset pages; and every origin some site allows (CORS of the public endpoints).

Selectors read (`lead_settings_for` creates a site's default settings on first use,
as everywhere); no HTTP here. List selectors take and return a queryset, so the
API's filters and cursor pages compose on top of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet

from chat.models import CounselorProfile, Site, zone_named
from leads.forms import normalize_email, normalize_phone
from leads.models import Lead
from leads.services.availability import lead_settings_for

# -- the list -----------------------------------------------------------------


def counselor_site_ids(*, profile: CounselorProfile) -> list[int]:
    """The sites whose leads the counselor may see."""
    return list(profile.sites.values_list("pk", flat=True))


def site_phone_region(*, site_id: int) -> str:
    """Where the site's phone numbers written without a country code are read."""
    return lead_settings_for(Site.objects.get(pk=site_id)).phone_region


def site_counselors(*, site_id: int) -> QuerySet[CounselorProfile]:
    """The counselors a lead of the site may be assigned to."""
    return CounselorProfile.objects.filter(sites=site_id)


def lead_list(*, site_ids: Sequence[int]) -> QuerySet[Lead]:
    """The leads of these sites, with their assignee (the list's rows name them)."""
    return Lead.objects.filter(site_id__in=site_ids).select_related("assignee")


def lead_list_search(
    *, leads: QuerySet[Lead], text: str, region: str
) -> QuerySet[Lead]:
    """Leads matching what a counselor typed: a reference ("L-..."), an e-mail, a
    phone number (read in `region`), its last digits ("1234"), or a name fragment."""
    value = text.strip()[:100]
    if not value:
        return leads
    if value.upper().startswith("L-"):
        return leads.filter(reference=value.upper())
    if "@" in value:
        try:
            return leads.filter(email=normalize_email(value))
        except Exception:
            return leads.filter(email__icontains=value)
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) >= 7:
        try:
            return leads.filter(phone=normalize_phone(value, region=region))
        except ValueError:
            pass
    if 4 <= len(digits) == len(value.replace("-", "").replace(" ", "")):
        # The last digits a caller reads out ("1234").
        return leads.filter(phone__endswith=digits)
    return leads.filter(name__icontains=value)


def lead_list_assigned(
    *, leads: QuerySet[Lead], assignee_id: int | None
) -> QuerySet[Lead]:
    """Leads of one counselor, or (None) leads nobody is assigned to."""
    if assignee_id is None:
        return leads.filter(assignee__isnull=True)
    return leads.filter(assignee_id=assignee_id)


def lead_list_overdue(*, leads: QuerySet[Lead], overdue: bool) -> QuerySet[Lead]:
    """Open leads flagged overdue, or (False) leads never flagged."""
    if overdue:
        return leads.filter(overdue_since__isnull=False, status__in=Lead.OPEN_STATUSES)
    return leads.filter(overdue_since__isnull=True)


def lead_stats(*, leads: QuerySet[Lead]) -> dict[str, Any]:
    """Counts by status, by source (with the won among them), and the overdue."""
    by_status = dict(leads.order_by().values_list("status").annotate(n=Count("id")))
    by_source: dict[str, dict[str, int]] = {}
    for source, state, n in (
        leads.order_by().values_list("source", "status").annotate(n=Count("id"))
    ):
        entry = by_source.setdefault(source, {"total": 0, "won": 0})
        entry["total"] += n
        entry["won"] += n if state == Lead.Status.WON else 0
    overdue = leads.filter(
        overdue_since__isnull=False, status__in=Lead.OPEN_STATUSES
    ).count()
    return {"by_status": by_status, "by_source": by_source, "overdue": overdue}


def lead_detail_get(*, lead_id: int) -> Lead:
    """One lead with what its detail shows: assignee, visitor, site, consents and
    the timeline."""
    return (
        Lead.objects.select_related("assignee", "visitor", "site")
        .prefetch_related("consents", "events")
        .get(pk=lead_id)
    )


# -- the export ---------------------------------------------------------------

# The columns of an export row, in this order (leads.export writes them). The
# keyset is (created_at, id): the second and the last.
EXPORT_FIELDS = (
    "reference", "created_at", "source", "status", "name", "phone", "email",
    "callback_due_at", "assignee__display_name", "marketing_consent", "message",
    "site__time_zone", "id",
)  # fmt: skip
EXPORT_ORDER = ("-created_at", "-id")


def lead_export_count(*, leads: QuerySet[Lead], limit: int) -> int:
    """How many leads an export of these writes (at most `limit`)."""
    return min(leads.count(), limit)


def lead_export_ids(*, leads: QuerySet[Lead], limit: int) -> QuerySet:
    """The ids of the first `limit` leads in export order (for the access log)."""
    return leads.order_by(*EXPORT_ORDER).values_list("pk", flat=True)[:limit]


def lead_export_zone(*, site_ids: Sequence[int]) -> str | None:
    """The time zone every one of these sites shares, else None."""
    zones = set(
        Site.objects.filter(pk__in=site_ids).values_list("time_zone", flat=True)
    )
    return str(zone_named(zones.pop())) if len(zones) == 1 else None


def lead_export_page(
    *, leads: QuerySet[Lead], after: tuple[datetime, int] | None, size: int
) -> list[tuple]:
    """Up to `size` export rows (EXPORT_FIELDS), newest first, after the keyset
    position `after` (the previous page's last (created_at, id)). Each page is its
    own short query: an export holds no cursor open across the chunks it streams."""
    rows = leads.order_by(*EXPORT_ORDER).values_list(*EXPORT_FIELDS)
    if after is not None:
        # The <= bound gives the index a range to start from; the OR alone does
        # not, and every page would read all the rows before it.
        rows = rows.filter(
            Q(created_at__lte=after[0])
            & (Q(created_at__lt=after[0]) | Q(id__lt=after[1]))
        )
    return list(rows[:size])


# -- CORS of the public endpoints --------------------------------------------


def allowed_origins_all() -> frozenset[str]:
    """Every origin some site allows, as the Origin header carries it (lowercase,
    no trailing slash)."""
    origins: set[str] = set()
    for text in Site.objects.values_list("allowed_origins", flat=True):
        origins |= {o.strip().rstrip("/").lower() for o in text.split() if o}
    return frozenset(origins)
