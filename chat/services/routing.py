"""Routing: queues per site/team, auto-assignment, live queue positions.

Routing for a site is serialised by locking the site's row, so two processes cannot
hand the same counselor more chats than their capacity or assign one conversation twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from chat import events
from chat.models import Conversation, CounselorProfile, Site
from chat.services.transcript import conversation_event_record
from core import realtime

OPEN_AGENT_STATUSES = (Conversation.Status.ACTIVE, Conversation.Status.WAITING)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def presence_cutoff(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.CHAT["PRESENCE_GRACE_SECONDS"])


if TYPE_CHECKING:

    class Candidate(CounselorProfile):
        """A counselor as `available_counselors` returns them: annotated."""

        open_count: int
        team_ids: set[int]

        class Meta:
            abstract = True

else:
    Candidate = CounselorProfile


def available_counselors(*, site: Site, now: datetime) -> list[Candidate]:
    """Online, recently seen counselors of the site with free capacity, annotated
    with `open_count` and `team_ids`."""
    profiles = (
        CounselorProfile.objects.filter(
            sites=site,
            status=CounselorProfile.Status.ONLINE,
            last_seen_at__gte=presence_cutoff(now),
        )
        .annotate(
            open_count=Count(
                "conversations",
                filter=Q(conversations__status__in=OPEN_AGENT_STATUSES),
            )
        )
        .prefetch_related("teams")
    )
    result: list[Candidate] = []
    for profile in profiles:
        if profile.open_count < profile.max_concurrent:
            candidate = cast("Candidate", profile)
            candidate.team_ids = {t.pk for t in profile.teams.all()}
            result.append(candidate)
    return result


def queued_conversations(*, site: Site):
    return (
        Conversation.objects.filter(site=site, status=Conversation.Status.QUEUED)
        .select_related("visitor", "site", "assignee")
        .order_by("queued_at", "pk")
    )


def _pick(conversation: Conversation, candidates: list[Candidate]):
    eligible = [
        c
        for c in candidates
        if c.open_count < c.max_concurrent
        and (conversation.team_id is None or conversation.team_id in c.team_ids)
    ]
    if not eligible:
        return None
    return min(
        eligible, key=lambda c: (c.open_count, c.last_assigned_at or _EPOCH, c.pk)
    )


def conversation_assign(
    *,
    conversation: Conversation,
    counselor: CounselorProfile,
    now: datetime,
    by: dict | None = None,
    event: str = "assigned",
) -> None:
    """Make `counselor` the assignee. Caller holds the conversation (or site) lock
    inside a transaction. Publishes `conversation` to visitor, new and old assignee,
    and `queue` remove to the site; records `event` (assigned, or transferred) with
    who did it (`by`, the system when None) in the transcript."""
    previous = conversation.assignee if conversation.assignee_id else None
    was_queued = conversation.status == Conversation.Status.QUEUED
    conversation.assignee = counselor
    conversation.status = Conversation.Status.ACTIVE
    conversation.assigned_at = now
    fields = ["assignee", "status", "assigned_at"]
    if conversation.first_assigned_at is None:
        conversation.first_assigned_at = now  # the waiting figure: first arrival only
        fields.append("first_assigned_at")
    conversation.save(update_fields=fields)
    CounselorProfile.objects.filter(pk=counselor.pk).update(last_assigned_at=now)
    counselor.last_assigned_at = now
    frames = events.conversation_frames(
        conversation,
        previous_assignee_id=previous.pk if previous else None,
        reason="assigned",
    )
    if was_queued:
        frames.append(events.queue_frame(conversation, op="remove", position=None))
    realtime.publish_many(frames)
    conversation_event_record(
        conversation=conversation,
        event=event,
        now=now,
        by=by,
        previous=previous,
        to=counselor,
    )


def routing_dispatch(*, site_id: int, now: datetime | None = None) -> list[int]:
    """Assign what can be assigned in the site's queue, then publish the positions of
    those still waiting. Returns the ids of conversations assigned."""
    now = now or timezone.now()
    assigned: list[int] = []
    with transaction.atomic():
        site = Site.objects.select_for_update().get(pk=site_id)
        queue = list(queued_conversations(site=site))
        if not queue:
            return assigned
        if site.routing == Site.Routing.AUTO:
            candidates = available_counselors(site=site, now=now)
            remaining = []
            for conversation in queue:
                counselor = _pick(conversation, candidates) if candidates else None
                if counselor is None:
                    remaining.append(conversation)
                    continue
                conversation_assign(
                    conversation=conversation, counselor=counselor, now=now
                )
                counselor.open_count += 1
                assigned.append(conversation.pk)
            queue = remaining
        _publish_positions(queue)
    return assigned


def queue_position(conversation: Conversation) -> int | None:
    """1-based place in its site/team queue, or None when not queued."""
    if conversation.status != Conversation.Status.QUEUED:
        return None
    team = (
        Q(team__isnull=True)
        if conversation.team_id is None
        else Q(team_id=conversation.team_id)
    )
    ahead = Conversation.objects.filter(
        team, site_id=conversation.site_id, status=Conversation.Status.QUEUED
    ).filter(
        Q(queued_at__lt=conversation.queued_at)
        | Q(queued_at=conversation.queued_at, pk__lt=conversation.pk)
    )
    return ahead.count() + 1


def _publish_positions(queue: list[Conversation]) -> None:
    per_team: dict[int | None, int] = {}
    frames = []
    for conversation in queue:
        position = per_team.get(conversation.team_id, 0) + 1
        per_team[conversation.team_id] = position
        frames.append(
            (
                events.visitor_group(conversation.visitor_id),
                {
                    "type": "queue_position",
                    "conversation": conversation.pk,
                    "position": position,
                },
            )
        )
    realtime.publish_many(frames)
