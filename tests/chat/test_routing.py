"""Routing: auto-assign by load then idleness, capacity, teams, grace, positions."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chat.models import Conversation, CounselorProfile, Site
from chat.services.conversations import (
    conversation_accept,
    conversation_close,
    conversation_start,
    conversation_transfer,
)
from chat.services.presence import counselor_set_status, presence_sweep
from chat.services.routing import queue_position, routing_dispatch
from core.errors import ServiceError
from tests.factories import CounselorFactory, TeamFactory, VisitorFactory

pytestmark = pytest.mark.django_db


def test_start_with_no_counselor_queues(visitor):
    conversation, created = conversation_start(visitor=visitor)
    assert created
    assert conversation.status == Conversation.Status.QUEUED
    assert queue_position(conversation) == 1


def test_auto_assign_picks_fewest_open_chats_then_longest_idle(site, online_counselor):
    now = timezone.now()
    busy = online_counselor(last_assigned_at=now - timedelta(hours=2))
    idle_long = online_counselor(last_assigned_at=now - timedelta(hours=1))
    idle_short = online_counselor(last_assigned_at=now - timedelta(minutes=1))
    first, _ = conversation_start(visitor=VisitorFactory(site=site))
    assert first.assignee_id == busy.pk  # all at 0 open: longest idle wins
    second, _ = conversation_start(visitor=VisitorFactory(site=site))
    assert second.assignee_id == idle_long.pk  # busy now has 1 open
    third, _ = conversation_start(visitor=VisitorFactory(site=site))
    assert third.assignee_id == idle_short.pk


def test_counselor_at_capacity_gets_no_more(site, online_counselor):
    counselor = online_counselor(max_concurrent=1)
    first, _ = conversation_start(visitor=VisitorFactory(site=site))
    second, _ = conversation_start(visitor=VisitorFactory(site=site))
    assert first.assignee_id == counselor.pk
    assert second.status == Conversation.Status.QUEUED
    conversation_close(conversation_id=first.pk, counselor=counselor)
    second.refresh_from_db()
    assert second.assignee_id == counselor.pk  # freed capacity is used at once


def test_away_and_stale_counselors_are_skipped(site, online_counselor):
    online_counselor(status=CounselorProfile.Status.AWAY)
    online_counselor(last_seen_at=timezone.now() - timedelta(minutes=10))
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    assert conversation.status == Conversation.Status.QUEUED


def test_team_queue_goes_only_to_team_members(site, online_counselor):
    team = TeamFactory(site=site)
    outsider = online_counselor()
    member = online_counselor(teams=[team])
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site), team=team)
    assert conversation.assignee_id == member.pk
    assert outsider.conversations.count() == 0


def test_manual_routing_waits_for_accept(site, online_counselor):
    Site.objects.filter(pk=site.pk).update(routing=Site.Routing.MANUAL)
    counselor = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    assert conversation.status == Conversation.Status.QUEUED
    accepted = conversation_accept(conversation_id=conversation.pk, counselor=counselor)
    assert accepted.status == Conversation.Status.ACTIVE
    assert accepted.assignee_id == counselor.pk


def test_accept_of_taken_chat_is_refused(site, online_counselor):
    Site.objects.filter(pk=site.pk).update(routing=Site.Routing.MANUAL)
    first, second = online_counselor(), online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    conversation_accept(conversation_id=conversation.pk, counselor=first)
    with pytest.raises(ServiceError) as exc:
        conversation_accept(conversation_id=conversation.pk, counselor=second)
    assert exc.value.code == "already_taken"


def test_accept_from_another_site_is_refused(site):
    other_site_counselor = CounselorFactory(sites=[VisitorFactory().site])
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    with pytest.raises(ServiceError) as exc:
        conversation_accept(
            conversation_id=conversation.pk, counselor=other_site_counselor
        )
    assert exc.value.code == "not_found"  # as for an id that does not exist


def test_queue_positions_follow_arrival(site):
    now = timezone.now()
    convs = [
        conversation_start(
            visitor=VisitorFactory(site=site), now=now + timedelta(seconds=i)
        )[0]
        for i in range(3)
    ]
    assert [queue_position(c) for c in convs] == [1, 2, 3]
    conversation_close(conversation_id=convs[0].pk, visitor=convs[0].visitor)
    convs[2].refresh_from_db()
    assert queue_position(convs[2]) == 2


def test_counselor_going_online_takes_the_queue(site):
    counselor = CounselorFactory(sites=[site])
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    counselor_set_status(counselor=counselor, status="online")
    conversation.refresh_from_db()
    assert conversation.assignee_id == counselor.pk


def test_counselor_gone_past_grace_has_chats_requeued(site, online_counselor, settings):
    settings.CHAT = {**settings.CHAT, "PRESENCE_GRACE_SECONDS": 60}
    now = timezone.now()
    gone = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site), now=now)
    assert conversation.assignee_id == gone.pk
    assert presence_sweep(now=now + timedelta(seconds=59)) == []
    assert presence_sweep(now=now + timedelta(seconds=61)) == [gone.pk]
    conversation.refresh_from_db()
    gone.refresh_from_db()
    assert conversation.status == Conversation.Status.QUEUED
    assert conversation.assignee_id is None
    assert gone.status == CounselorProfile.Status.OFFLINE


def test_requeued_chat_goes_to_a_present_counselor(site, online_counselor):
    now = timezone.now()
    gone = online_counselor(last_assigned_at=now - timedelta(hours=1))
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site), now=now)
    assert conversation.assignee_id == gone.pk
    present = online_counselor()
    CounselorProfile.objects.filter(pk=present.pk).update(
        last_seen_at=now + timedelta(seconds=100)
    )
    presence_sweep(now=now + timedelta(seconds=120))
    conversation.refresh_from_db()
    assert conversation.assignee_id == present.pk


def test_transfer_to_counselor_and_to_team(site, online_counselor):
    team = TeamFactory(site=site)
    first = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    second = online_counselor()
    conversation_transfer(
        conversation_id=conversation.pk, counselor=first, to_counselor=second
    )
    conversation.refresh_from_db()
    assert conversation.assignee_id == second.pk
    member = online_counselor(teams=[team])
    conversation_transfer(
        conversation_id=conversation.pk, counselor=second, to_team=team
    )
    conversation.refresh_from_db()
    assert conversation.team_id == team.pk
    assert conversation.assignee_id == member.pk


def test_transfer_to_offline_counselor_is_refused(site, online_counselor):
    first = online_counselor()
    offline = CounselorFactory(sites=[site])
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    with pytest.raises(ServiceError):
        conversation_transfer(
            conversation_id=conversation.pk, counselor=first, to_counselor=offline
        )


def test_second_start_while_queued_reuses_conversation(visitor):
    first, created_first = conversation_start(visitor=visitor)
    second, created_second = conversation_start(visitor=visitor)
    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk


def test_routing_dispatch_is_a_no_op_on_empty_queue(site):
    assert routing_dispatch(site_id=site.pk) == []


def test_accepting_a_closed_chat_says_closed(site, online_counselor):
    Site.objects.filter(pk=site.pk).update(routing=Site.Routing.MANUAL)
    counselor = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    conversation_close(conversation_id=conversation.pk, visitor=conversation.visitor)
    with pytest.raises(ServiceError) as exc:
        conversation_accept(conversation_id=conversation.pk, counselor=counselor)
    assert exc.value.code == "closed"
