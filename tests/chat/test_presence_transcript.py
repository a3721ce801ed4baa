"""Issue 8: going offline or logging out hands chats over at once (items 6), the
waiting figure survives transfers (10), system events in the transcript and
read-only counters in the admin (19)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from chat import events
from chat.models import Conversation, CounselorProfile, Message
from chat.services.conversations import (
    conversation_accept,
    conversation_close,
    conversation_start,
    conversation_transfer,
)
from chat.services.messages import message_history
from chat.services.presence import counselor_set_status, presence_sweep
from leads.services.availability import schedule_cache_clear, site_availability
from tests.factories import CounselorFactory, SiteFactory, TeamFactory, VisitorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_schedules():
    schedule_cache_clear()
    yield
    schedule_cache_clear()


def event_lines(conversation):
    return list(
        Message.objects.filter(
            conversation=conversation, kind=Message.Kind.EVENT
        ).order_by("seq")
    )


def test_going_offline_hands_the_chats_to_a_colleague_at_once(site, online_counselor):
    leaving = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    assert conversation.assignee_id == leaving.pk
    colleague = online_counselor()

    counselor_set_status(counselor=leaving, status="offline")

    conversation.refresh_from_db()
    assert conversation.assignee_id == colleague.pk  # not a minute later: now
    assert conversation.status == Conversation.Status.ACTIVE
    requeued = event_lines(conversation)[1]
    assert requeued.payload == {
        "event": "requeued",
        "by": {"kind": "system"},
        "from": {"id": leaving.pk, "name": leaving.display_name},
        "reason": "offline",
    }
    assert requeued.body == f"{leaving.display_name} went offline; back in the queue"


def test_going_offline_alone_queues_the_chat_and_closes_the_widget(
    site, online_counselor
):
    leaving = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))

    counselor_set_status(counselor=leaving, status="offline")

    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.QUEUED
    assert conversation.assignee_id is None
    # The widget is told nobody is online (it offers the callback, not a place).
    assert site_availability(site=site).reason == "no_counselor"


def test_away_keeps_the_chats(site, online_counselor):
    counselor = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    counselor_set_status(counselor=counselor, status="away")
    conversation.refresh_from_db()
    assert conversation.assignee_id == counselor.pk
    assert conversation.status == Conversation.Status.ACTIVE


def test_logout_is_going_offline(site, online_counselor):
    counselor = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    client = Client()
    client.force_login(counselor.user)

    response = client.post("/console/logout/")

    assert response.status_code in (200, 302)
    counselor.refresh_from_db()
    assert counselor.status == CounselorProfile.Status.OFFLINE
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.QUEUED
    assert event_lines(conversation)[-1].payload["reason"] == "logged_out"


def test_presence_sweep_records_why(site, online_counselor, settings):
    counselor = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    later = timezone.now() + timedelta(
        seconds=settings.CHAT["PRESENCE_GRACE_SECONDS"] + 5
    )
    assert presence_sweep(now=later) == [counselor.pk]
    assert event_lines(conversation)[-1].payload["reason"] == "no_heartbeat"


def test_first_assignment_is_kept_for_the_waiting_figure(site, online_counselor):
    first = online_counselor()
    start = timezone.now()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site), now=start)
    assert conversation.first_assigned_at == start
    later = start + timedelta(minutes=4)
    second = online_counselor(last_seen_at=later)
    team = TeamFactory(site=site)
    second.teams.add(team)

    conversation_transfer(
        conversation_id=conversation.pk, counselor=first, to_counselor=second, now=later
    )
    conversation_transfer(
        conversation_id=conversation.pk,
        counselor=second,
        to_team=team,
        now=later + timedelta(minutes=1),
    )

    conversation.refresh_from_db()
    assert conversation.assigned_at > later  # moved with the transfers
    assert conversation.first_assigned_at == start  # the waiting figure did not
    payload = events.conversation_for_agent(conversation)
    assert payload["first_assigned_at"] == start.isoformat()


def test_events_name_who_did_what_and_stay_off_the_visitor_side(site, online_counselor):
    site.routing = "manual"
    site.save()
    alice = online_counselor(display_name="Alice")
    bob = online_counselor(display_name="Bob")
    team = TeamFactory(site=site, name="Sales")
    visitor = VisitorFactory(site=site)
    conversation, _ = conversation_start(visitor=visitor)
    conversation_accept(conversation_id=conversation.pk, counselor=alice)
    conversation_transfer(
        conversation_id=conversation.pk, counselor=alice, to_counselor=bob
    )
    conversation_transfer(conversation_id=conversation.pk, counselor=bob, to_team=team)
    conversation_accept(conversation_id=conversation.pk, counselor=alice)
    conversation_close(conversation_id=conversation.pk, visitor=visitor)

    lines = event_lines(conversation)
    assert [m.body for m in lines] == [
        "Accepted by Alice",
        "Transferred by Alice to Bob",
        "Transferred by Bob to the Sales queue",
        "Accepted by Alice",
        "Closed by the visitor",
    ]
    assert [m.seq for m in lines] == [1, 2, 3, 4, 5]  # gap-free, in order
    assert all(m.sender_kind == Message.Sender.SYSTEM for m in lines)
    assert lines[2].payload["team"] == {"id": team.pk, "name": "Sales"}
    assert lines[2].payload["from"] == {"id": bob.pk, "name": "Bob"}
    assert lines[4].payload["by"]["kind"] == "visitor"

    conversation.refresh_from_db()
    assert (conversation.last_seq, conversation.last_public_seq) == (5, 0)
    staff, _ = message_history(
        conversation=conversation, after_seq=0, for_visitor=False, limit=50
    )
    assert [m["kind"] for m in staff] == ["event"] * 5
    theirs, _ = message_history(
        conversation=conversation, after_seq=0, for_visitor=True, limit=50
    )
    assert theirs == []


def test_close_by_a_counselor_names_them(site, online_counselor):
    counselor = online_counselor(display_name="Jiwoo")
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    conversation_close(conversation_id=conversation.pk, counselor=counselor)
    closing = event_lines(conversation)[-1]
    assert closing.body == "Closed by Jiwoo"
    assert closing.payload["by"] == {
        "kind": "agent",
        "id": counselor.pk,
        "name": "Jiwoo",
    }


def test_admin_cannot_edit_internal_counters(site, online_counselor):
    from django.contrib.auth import get_user_model

    online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    admin = get_user_model().objects.create_superuser("boss", "b@example.com", "pw")
    client = Client()
    client.force_login(admin)
    url = f"/admin/chat/conversation/{conversation.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    for name in (
        "last_seq",
        "last_public_seq",
        "visitor_read_seq",
        "agent_read_seq",
        "queued_at",
        "assigned_at",
        "first_assigned_at",
        "closed_at",
    ):
        assert name not in form.fields, name
    profile_page = client.get(
        f"/admin/chat/counselorprofile/{conversation.assignee_id}/change/"
    )
    assert "last_seen_at" not in profile_page.context["adminform"].form.fields
    message = Message.objects.filter(conversation=conversation).first()
    message_page = client.get(f"/admin/chat/message/{message.pk}/change/")
    assert "seq" not in message_page.context["adminform"].form.fields


def test_other_sites_are_untouched_by_a_logout(online_counselor):
    other_site = SiteFactory()
    elsewhere = CounselorFactory(
        sites=[other_site], status="online", last_seen_at=timezone.now()
    )
    theirs, _ = conversation_start(visitor=VisitorFactory(site=other_site))
    assert theirs.assignee_id == elsewhere.pk
    leaving = online_counselor()
    counselor_set_status(counselor=leaving, status="offline")
    theirs.refresh_from_db()
    assert theirs.assignee_id == elsewhere.pk
