"""Conversation lifecycle: start, accept, close, transfer, visitor away/back, read.

Every function runs its own transaction, locks the conversation row it changes and
publishes through `core.realtime` (delivered after commit).
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from chat import events, hooks
from chat.models import Conversation, CounselorProfile, Site, Team, Visitor
from chat.services.routing import (
    available_counselors,
    conversation_assign,
    presence_cutoff,
    queue_position,
    routing_dispatch,
)
from chat.services.transcript import (
    actor_of,
    conversation_event_record,
    conversation_system_text_add,
)
from core import realtime
from core.errors import ServiceError


def open_conversation(*, visitor: Visitor) -> Conversation | None:
    return (
        Conversation.objects.select_related("assignee", "site", "visitor")
        .filter(visitor=visitor, status__in=Conversation.OPEN_STATUSES)
        .first()
    )


def latest_conversation(*, visitor: Visitor) -> Conversation | None:
    """The open conversation, else the most recent closed one (history on return)."""
    return open_conversation(visitor=visitor) or (
        Conversation.objects.select_related("assignee", "site", "visitor")
        .filter(visitor=visitor)
        .order_by("-pk")
        .first()
    )


def _locked(conversation_id: int) -> Conversation:
    try:
        return (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("assignee", "site", "visitor")
            .get(pk=conversation_id)
        )
    except Conversation.DoesNotExist:
        raise ServiceError("not_found", "No such conversation.") from None


def conversation_start(
    *,
    visitor: Visitor,
    team: Team | None = None,
    now: datetime | None = None,
    opening: str = "",
    opening_key: str | None = None,
    prefer: CounselorProfile | None = None,
) -> tuple[Conversation, bool]:
    """Open a conversation for the visitor, or return the open one.

    Two racing starts yield one conversation: the partial unique index on
    (visitor) where status != closed decides. Publishes `queue` add to the site and
    runs routing (which may assign at once). `opening` is a system text both sides
    see (an accepted invitation's words): the first message of a new conversation,
    appended to an open one (idempotent by `opening_key`). `prefer`: the counselor
    an invitation named takes a new conversation when they are online with a free
    slot (else routing decides).
    """
    now = now or timezone.now()
    existing = open_conversation(visitor=visitor)
    if existing is not None:
        if opening:
            with transaction.atomic():
                existing = _locked(existing.pk)
                conversation_system_text_add(
                    conversation=existing, body=opening, now=now, client_id=opening_key
                )
        return existing, False
    if team is not None and team.site_id != visitor.site_id:
        raise ServiceError("bad_team", "That team belongs to another site.")
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                site_id=visitor.site_id,
                visitor=visitor,
                team=team,
                status=Conversation.Status.QUEUED,
                queued_at=now,
            )
            conversation.visitor = visitor
            realtime.publish_many(
                events.conversation_frames(conversation, reason="started")
                + [events.queue_frame(conversation, op="add", position=None)]
            )
            if opening:  # before routing: the words come before "assigned"
                conversation_system_text_add(
                    conversation=conversation,
                    body=opening,
                    now=now,
                    client_id=opening_key,
                )
    except IntegrityError:
        existing = open_conversation(visitor=visitor)
        if existing is None:
            raise
        return existing, False
    if prefer is not None:
        _assign_preferred(conversation, counselor=prefer, now=now)
    routing_dispatch(site_id=visitor.site_id, now=now)
    conversation.refresh_from_db()
    # A longer queue may push the expected wait past the site's limit.
    hooks.staffing_changed(site_ids=[visitor.site_id], now=now)
    return conversation, True


def _assign_preferred(
    conversation: Conversation, *, counselor: CounselorProfile, now: datetime
) -> None:
    with transaction.atomic():
        # Routing's lock first (the site's row), then the conversation: the order
        # routing_dispatch takes them in.
        site = Site.objects.select_for_update().get(pk=conversation.site_id)
        locked = _locked(conversation.pk)
        if locked.status != Conversation.Status.QUEUED or locked.team_id:
            return
        if counselor.pk in {c.pk for c in available_counselors(site=site, now=now)}:
            conversation_assign(conversation=locked, counselor=counselor, now=now)


def _check_counselor_site(counselor: CounselorProfile, conversation: Conversation):
    # The same answer as an id that does not exist: another site's conversations are
    # not revealed to exist.
    if not counselor.sites.filter(pk=conversation.site_id).exists():
        raise ServiceError("not_found", "No such conversation.")


def conversation_accept(
    *, conversation_id: int, counselor: CounselorProfile, now: datetime | None = None
) -> Conversation:
    """A counselor takes a queued conversation (manual routing, or picking early)."""
    now = now or timezone.now()
    with transaction.atomic():
        conversation = _locked(conversation_id)
        _check_counselor_site(counselor, conversation)
        if conversation.status == Conversation.Status.CLOSED:
            raise ServiceError("closed", "This conversation is closed.")
        if conversation.status != Conversation.Status.QUEUED:
            if conversation.assignee_id == counselor.pk:
                return conversation
            raise ServiceError("already_taken", "Another counselor has this chat.")
        open_count = counselor.conversations.filter(
            status__in=(Conversation.Status.ACTIVE, Conversation.Status.WAITING)
        ).count()
        if open_count >= counselor.max_concurrent:
            raise ServiceError("at_capacity", "You are at your maximum of chats.")
        conversation_assign(
            conversation=conversation,
            counselor=counselor,
            now=now,
            by=actor_of(counselor=counselor),
        )
    routing_dispatch(site_id=conversation.site_id, now=now)
    return conversation


def conversation_close(
    *,
    conversation_id: int,
    counselor: CounselorProfile | None = None,
    visitor: Visitor | None = None,
    now: datetime | None = None,
) -> Conversation:
    """Close by the assignee (or a counselor of the site) or by its own visitor."""
    now = now or timezone.now()
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if visitor is not None and conversation.visitor_id != visitor.pk:
            raise ServiceError("not_found", "No such conversation.")
        if counselor is not None:
            _check_counselor_site(counselor, conversation)
        if conversation.status == Conversation.Status.CLOSED:
            return conversation
        was_queued = conversation.status == Conversation.Status.QUEUED
        conversation.status = Conversation.Status.CLOSED
        conversation.closed_at = now
        conversation.save(update_fields=["status", "closed_at"])
        frames = events.conversation_frames(conversation, reason="closed")
        if was_queued:
            frames.append(events.queue_frame(conversation, op="remove", position=None))
        realtime.publish_many(frames)
        conversation_event_record(
            conversation=conversation,
            event="closed",
            now=now,
            by=actor_of(counselor=counselor, visitor=visitor),
        )
    routing_dispatch(site_id=conversation.site_id, now=now)
    hooks.staffing_changed(site_ids=[conversation.site_id], now=now)
    return conversation


def conversation_transfer(
    *,
    conversation_id: int,
    counselor: CounselorProfile,
    to_counselor: CounselorProfile | None = None,
    to_team: Team | None = None,
    now: datetime | None = None,
) -> Conversation:
    """Hand a conversation to another online counselor, or back to a team's queue."""
    now = now or timezone.now()
    if (to_counselor is None) == (to_team is None):
        raise ServiceError("bad_target", "Transfer to exactly one counselor or team.")
    with transaction.atomic():
        conversation = _locked(conversation_id)
        _check_counselor_site(counselor, conversation)
        if conversation.status == Conversation.Status.CLOSED:
            raise ServiceError("closed", "This conversation is closed.")
        if to_counselor is not None:
            if not to_counselor.sites.filter(pk=conversation.site_id).exists():
                raise ServiceError("bad_target", "That counselor is not on this site.")
            if (
                to_counselor.status != CounselorProfile.Status.ONLINE
                or not to_counselor.last_seen_at
                or to_counselor.last_seen_at < presence_cutoff(now)
            ):
                raise ServiceError("bad_target", "That counselor is not online.")
            conversation_assign(
                conversation=conversation,
                counselor=to_counselor,
                now=now,
                by=actor_of(counselor=counselor),
                event="transferred",
            )
            return conversation
        if to_team is None:
            raise ServiceError("bad_target", "Name a counselor or a team.")
        if to_team.site_id != conversation.site_id:
            raise ServiceError("bad_target", "That team is not on this site.")
        _requeue(
            conversation,
            team=to_team,
            now=now,
            reason="transferred",
            by=actor_of(counselor=counselor),
        )
    routing_dispatch(site_id=conversation.site_id, now=now)
    return conversation


def _requeue(
    conversation: Conversation,
    *,
    team,
    now: datetime,
    reason: str,
    by: dict | None = None,
    why: str = "",
) -> None:
    previous = conversation.assignee if conversation.assignee_id else None
    conversation.team = team
    conversation.assignee = None
    conversation.status = Conversation.Status.QUEUED
    conversation.queued_at = now
    conversation.save(update_fields=["team", "assignee", "status", "queued_at"])
    realtime.publish_many(
        events.conversation_frames(
            conversation,
            previous_assignee_id=previous.pk if previous else None,
            reason=reason,
        )
        + [events.queue_frame(conversation, op="add", position=None)]
    )
    conversation_event_record(
        conversation=conversation,
        event=reason,
        now=now,
        by=by,
        previous=previous,
        team=team if reason == "transferred" else None,
        reason=why,
    )


def conversations_requeue_for(
    *, counselor_id: int, now: datetime | None = None, why: str = "no_heartbeat"
) -> list[int]:
    """Requeue every open chat of a counselor who is gone (`why`: no_heartbeat,
    offline, logged_out; kept in the transcript); returns their ids. Routing then
    hands them to whoever is online."""
    now = now or timezone.now()
    sites = set()
    ids = []
    with transaction.atomic():
        for conversation in (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("assignee", "site", "visitor")
            .filter(assignee_id=counselor_id, status__in=Conversation.OPEN_STATUSES)
            .order_by("pk")
        ):
            _requeue(
                conversation,
                team=conversation.team,
                now=now,
                reason="requeued",
                why=why,
            )
            sites.add(conversation.site_id)
            ids.append(conversation.pk)
    for site_id in sorted(sites):
        routing_dispatch(site_id=site_id, now=now)
    return ids


def conversation_visitor_away(
    *, conversation_id: int, visitor: Visitor, left_at: datetime | None = None
) -> None:
    """The visitor left mid-chat: an active conversation now waits for them.
    Nothing happens if the visitor resumed (on any process) after `left_at`."""
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if conversation.visitor_id != visitor.pk:
            return
        if (
            left_at
            and Visitor.objects.filter(pk=visitor.pk, last_seen_at__gt=left_at).exists()
        ):
            return
        if conversation.status != Conversation.Status.ACTIVE:
            return
        conversation.status = Conversation.Status.WAITING
        conversation.save(update_fields=["status"])
        realtime.publish_many(
            events.conversation_frames(conversation, reason="visitor_away")
        )


def conversation_mark_read(
    *,
    conversation_id: int,
    seq: int,
    visitor: Visitor | None = None,
    counselor: CounselorProfile | None = None,
) -> int:
    """Advance the reader's marker (never backwards); publishes `read` to the other
    side. Returns the marker."""
    with transaction.atomic():
        conversation = _locked(conversation_id)
        if visitor is not None:
            if conversation.visitor_id != visitor.pk:
                raise ServiceError("not_found", "No such conversation.")
            field, reader = "visitor_read_seq", "visitor"
            seq = min(seq, conversation.last_public_seq)
        else:
            if counselor is None:
                raise ServiceError("not_found", "No such conversation.")
            _check_counselor_site(counselor, conversation)
            field, reader = "agent_read_seq", "agent"
            seq = min(seq, conversation.last_seq)
        current = getattr(conversation, field)
        if seq <= current:
            return current
        setattr(conversation, field, seq)
        conversation.save(update_fields=[field])
        frame = {
            "type": "read",
            "conversation": conversation.pk,
            "reader": reader,
        }
        # The visitor's copy is capped so a read note does not reveal itself.
        frames = [
            (
                events.visitor_group(conversation.visitor_id),
                {**frame, "seq": min(seq, conversation.last_public_seq)},
            )
        ]
        if conversation.assignee_id:
            frames.append(
                (events.agent_group(conversation.assignee_id), {**frame, "seq": seq})
            )
        realtime.publish_many(frames)
        return seq


def visitor_conversation_snapshot(conversation: Conversation) -> dict:
    return events.conversation_for_visitor(
        conversation, queue_position=queue_position(conversation)
    )
