"""Working a lead: status pipeline, assignee, callback time, notes. Every change is
a LeadEvent (the full history) written in the same transaction as the change."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from chat.models import CounselorProfile
from core.errors import ServiceError
from leads.models import Lead, LeadEvent
from leads.services.capture import callback_due

# Allowed moves. Closed leads can be reopened (to "contacted"), e.g. a lost lead
# that calls back; reopening fails if the person has another open lead.
TRANSITIONS = {
    "new": {"contacted", "qualified", "won", "lost"},
    "contacted": {"qualified", "won", "lost", "new"},
    "qualified": {"contacted", "won", "lost"},
    "won": {"contacted"},
    "lost": {"contacted"},
}
MAX_NOTE = 4000


class Unchanged(enum.Enum):
    """The value of a field `lead_update` is not asked to change."""

    UNCHANGED = "unchanged"


UNCHANGED = Unchanged.UNCHANGED


def _actor(user: AbstractBaseUser) -> dict:
    profile = getattr(user, "counselor", None)
    name = profile.display_name if profile else user.get_username()
    return {"actor": user, "actor_name": name[:80]}


def lead_update(
    *,
    lead: Lead,
    user: AbstractBaseUser,
    status: str | None = None,
    assignee: CounselorProfile | None | Unchanged = UNCHANGED,
    callback_at: datetime | None | Unchanged = UNCHANGED,
    now: datetime | None = None,
) -> Lead:
    """Apply the given changes (UNCHANGED: left as is) under the lead's row lock.
    Raises ServiceError for a move the pipeline does not allow, an assignee outside
    the lead's site, or a reopen that would duplicate an open lead."""
    now = now or timezone.now()
    who = _actor(user)
    try:
        with transaction.atomic():
            locked = (
                Lead.objects.select_for_update(of=("self",))
                .select_related("site", "assignee")
                .get(pk=lead.pk)
            )
            history: list[tuple[str, dict[str, Any]]] = []
            if status is not None and status != locked.status:
                if status not in TRANSITIONS.get(locked.status, ()):
                    raise ServiceError(
                        "bad_transition",
                        f"A {locked.status} lead cannot become {status}.",
                    )
                history.append(
                    (LeadEvent.Kind.STATUS, {"from": locked.status, "to": status})
                )
                locked.status = status
                if status != Lead.Status.NEW:
                    locked.overdue_since = None
            if (
                not isinstance(assignee, Unchanged)
                and (assignee.pk if assignee else None) != locked.assignee_id
            ):
                if (
                    assignee is not None
                    and not assignee.sites.filter(pk=locked.site_id).exists()
                ):
                    raise ServiceError(
                        "bad_assignee", "That counselor does not work on this site."
                    )
                history.append(
                    (
                        LeadEvent.Kind.ASSIGNEE,
                        {
                            "from": locked.assignee.display_name
                            if locked.assignee is not None
                            else None,
                            "to": assignee.display_name if assignee else None,
                        },
                    )
                )
                locked.assignee = assignee
            if not isinstance(callback_at, Unchanged) and (
                callback_at != locked.callback_at or callback_at is None
            ):
                # None: back to "as soon as possible" by the site's SLA from now.
                due = callback_at or callback_due(
                    site=locked.site, team_id=locked.team_id, callback_at=None, now=now
                )
                history.append(
                    (
                        LeadEvent.Kind.CALLBACK,
                        {
                            "from": _iso(locked.callback_due_at),
                            "to": _iso(due),
                            "asap": callback_at is None,
                        },
                    )
                )
                locked.callback_at = callback_at
                locked.callback_due_at = due
                locked.overdue_since = None
            if not history:
                return locked
            locked.updated_at = now
            locked.save()
            LeadEvent.objects.bulk_create(
                [
                    LeadEvent(lead=locked, kind=kind, data=data, created_at=now, **who)
                    for kind, data in history
                ]
            )
            return locked
    except IntegrityError as exc:
        raise ServiceError(
            "duplicate_open_lead",
            "This person already has another open lead; work on that one.",
        ) from exc


def lead_note_add(
    *, lead: Lead, user: AbstractBaseUser, text: str, now: datetime | None = None
) -> LeadEvent:
    text = (text or "").strip()
    if not text:
        raise ServiceError("empty_note", "A note needs some text.")
    if len(text) > MAX_NOTE:
        raise ServiceError(
            "note_too_long", f"A note has at most {MAX_NOTE} characters."
        )
    now = now or timezone.now()
    with transaction.atomic():
        event = LeadEvent.objects.create(
            lead=lead,
            kind=LeadEvent.Kind.NOTE,
            text=text,
            created_at=now,
            **_actor(user),
        )
        Lead.objects.filter(pk=lead.pk).update(updated_at=now)
    return event


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
