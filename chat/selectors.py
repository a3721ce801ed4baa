"""Selectors read: what consoles and APIs show, scoped to the counselor's sites."""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from chat import events
from chat.models import Conversation, CounselorProfile, Team
from chat.services.routing import presence_cutoff, queue_position


def counselor_for_user(user) -> CounselorProfile | None:
    if not user or not user.is_authenticated:
        return None
    return CounselorProfile.objects.filter(user=user).first()


def counselor_site_ids(counselor: CounselorProfile) -> list[int]:
    return list(counselor.sites.values_list("pk", flat=True))


def conversations_visible_to(counselor: CounselorProfile) -> QuerySet[Conversation]:
    return Conversation.objects.filter(site__in=counselor.sites.all()).select_related(
        "assignee", "site", "visitor"
    )


def visitor_conversation(*, visitor, pk: int) -> Conversation | None:
    """One of this visitor's conversations (another's id reads as none)."""
    return (
        Conversation.objects.select_related("assignee")
        .filter(pk=pk, visitor=visitor)
        .first()
    )


def assigned_visitor_id(
    *, counselor: CounselorProfile, conversation_id: int
) -> int | None:
    """The visitor of a conversation assigned to this counselor, else None."""
    return (
        Conversation.objects.filter(pk=conversation_id, assignee=counselor)
        .values_list("visitor_id", flat=True)
        .first()
    )


def transfer_targets(
    *, to_counselor_id: int | None, to_team_id: int | None
) -> tuple[CounselorProfile | None, Team | None, str | None]:
    """The counselor and team a transfer names; the third item names one missing."""
    to_counselor = to_team = None
    if to_counselor_id is not None:
        to_counselor = CounselorProfile.objects.filter(pk=to_counselor_id).first()
        if to_counselor is None:
            return None, None, "No such counselor."
    if to_team_id is not None:
        to_team = Team.objects.filter(pk=to_team_id).first()
        if to_team is None:
            return None, None, "No such team."
    return to_counselor, to_team, None


def agent_hello(counselor: CounselorProfile) -> dict:
    mine = conversations_visible_to(counselor).filter(
        assignee=counselor, status__in=Conversation.OPEN_STATUSES
    )
    queue = (
        conversations_visible_to(counselor)
        .filter(status=Conversation.Status.QUEUED)
        .order_by("queued_at", "pk")[:200]
    )
    cutoff = presence_cutoff(timezone.now())
    colleagues = (
        CounselorProfile.objects.filter(sites__in=counselor.sites.all())
        .exclude(pk=counselor.pk)
        .distinct()
    )
    return {
        "type": "hello",
        "me": {
            "id": counselor.pk,
            "name": counselor.display_name,
            "role": counselor.role,
            "status": counselor.status,
            "max_concurrent": counselor.max_concurrent,
            "sites": [{"id": s.pk, "name": s.name} for s in counselor.sites.all()],
            "teams": [
                {"id": t.pk, "name": t.name, "site": t.site_id}
                for t in counselor.teams.all()
            ],
        },
        "conversations": [events.conversation_for_agent(c) for c in mine],
        "queue": [
            events.conversation_for_agent(c, queue_position=queue_position(c))
            for c in queue
        ],
        "colleagues": [
            {
                "id": c.pk,
                "name": c.display_name,
                "status": c.status,
                # Online and seen within the grace: a transfer to them will be taken.
                "online": c.status == CounselorProfile.Status.ONLINE
                and c.last_seen_at is not None
                and c.last_seen_at >= cutoff,
            }
            for c in colleagues
        ],
    }


def agent_pong(counselor: CounselorProfile) -> dict:
    rows = Conversation.objects.filter(
        assignee=counselor, status__in=Conversation.OPEN_STATUSES
    ).values("pk", "last_seq", "status", "visitor_read_seq")
    queued = conversations_visible_to(counselor).filter(
        status=Conversation.Status.QUEUED
    )
    return {
        "type": "pong",
        # A console whose queue length differs asks for a fresh `hello`.
        "queue": queued.count(),
        "conversations": {
            str(r["pk"]): {
                "last_seq": r["last_seq"],
                "status": r["status"],
                "visitor_read_seq": r["visitor_read_seq"],
            }
            for r in rows
        },
    }
