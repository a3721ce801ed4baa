"""Issue 8, item 7: a rule's chat invitation names no one (routing picks whoever is
free), and its words become the first message of the chat, for both sides."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async as db

from chat.models import Visitor
from leads.services.availability import schedule_cache_clear
from targeting import clock
from targeting.models import Rule
from targeting.services.rules import rules_cache_clear
from tests.chat.wsutil import agent_socket, of_type, receive_until, visitor_socket
from tests.factories import CounselorFactory, SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)

SHOP = "https://shop.example.com"
INVITE = {
    "kind": "chat_invite",
    "title": "Bag sale: 20% off today",
    "body": "Questions about a bag? Ask me.",
    "persona": {"name": "Jiwoo"},  # a persona, not a counselor
}


@pytest.fixture(autouse=True)
def _fresh_caches():
    clock.set_speed(1.0)
    rules_cache_clear()
    schedule_cache_clear()
    yield
    rules_cache_clear()
    schedule_cache_clear()


def make_rule(site) -> Rule:
    rule = Rule(
        site=site,
        name="bags",
        condition={"field": "category", "op": "eq", "value": "bags"},
        action=INVITE,
    )
    rule.full_clean()
    rule.save()
    return rule


async def invited(site, session="tab-session-1"):
    comm, _, _ = await visitor_socket(site)
    await comm.send_json_to(
        {
            "type": "track",
            "events": [
                {"kind": "session", "session": session, "landing": f"{SHOP}/"},
                {
                    "kind": "page_view",
                    "session": session,
                    "url": f"{SHOP}/bags/1",
                    "category": "bags",
                },
            ],
        }
    )
    offer, _ = await receive_until(comm, of_type("offer"))
    return comm, offer["offer"]


async def online_counselor(site, name):
    from chat.services.presence import counselor_set_status

    counselor = await db(CounselorFactory)(sites=[site], display_name=name)
    agent, _, _ = await agent_socket(counselor.user)
    await db(counselor_set_status)(counselor=counselor, status="online")
    schedule_cache_clear()  # the availability cache: a counselor is free now
    return counselor, agent


async def test_accepted_invitation_opens_the_chat_with_its_words():
    site = await db(SiteFactory)()
    await db(make_rule)(site)
    counselor, agent = await online_counselor(site, "Minseo")
    comm, offer = await invited(site)
    assert offer["kind"] == "chat_invite"
    assert offer["persona"] is None  # "Jiwoo · Online now" would promise someone else

    await comm.send_json_to(
        {"type": "offer_response", "offer": offer["id"], "outcome": "accepted"}
    )
    first, _ = await receive_until(comm, of_type("message"))
    assert first["message"]["seq"] == 1
    assert first["message"]["sender"]["kind"] == "system"
    assert first["message"]["kind"] == "text"
    assert first["message"]["body"] == (
        "Bag sale: 20% off today\nQuestions about a bag? Ask me."
    )
    conversation_id = first["message"]["conversation"]

    # The counselor it was routed to reads the same words first.
    await agent.send_json_to(
        {"type": "sync", "conversation": conversation_id, "after_seq": 0}
    )
    history, _ = await receive_until(agent, of_type("history"))
    assert history["conversation"]["assignee"]["id"] == counselor.pk
    kinds = [(m["seq"], m["kind"]) for m in history["messages"]]
    assert kinds[0] == (1, "text") and history["messages"][0]["body"].startswith(
        "Bag sale"
    )
    assert (2, "event") in kinds  # assigned, after the words
    assert any(m["kind"] == "note" for m in history["messages"])  # the rule's context

    # And the widget's resync keeps it (a visible message, not a note).
    await comm.send_json_to(
        {"type": "sync", "conversation": conversation_id, "after_seq": 0}
    )
    mine, _ = await receive_until(comm, of_type("history"))
    assert [m["body"] for m in mine["messages"]][0].startswith("Bag sale")
    await comm.disconnect()
    await agent.disconnect()


async def test_invitation_accepted_during_an_open_chat_is_added_to_it():
    from chat.services.conversations import conversation_start

    site = await db(SiteFactory)()
    await db(make_rule)(site)
    _, agent = await online_counselor(site, "Minseo")
    comm, offer = await invited(site)
    # The visitor already chats (another tab opened it).
    visitor = await db(Visitor.objects.filter(site=site).get)()
    conversation, _ = await db(conversation_start)(visitor=visitor)

    await comm.send_json_to(
        {"type": "offer_response", "offer": offer["id"], "outcome": "accepted"}
    )
    frame, _ = await receive_until(
        comm,
        lambda f: f["type"] == "message" and f["message"]["sender"]["kind"] == "system",
    )
    assert frame["message"]["conversation"] == conversation.pk
    assert frame["message"]["body"].startswith("Bag sale")
    await comm.disconnect()
    await agent.disconnect()


async def test_a_counselors_own_invitation_is_answered_by_them():
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework.test import APIClient

    from chat.models import CounselorProfile

    site = await db(SiteFactory)()
    inviter, inviter_socket = await online_counselor(site, "Jiwoo")
    idle, idle_socket = await online_counselor(site, "Minseo")
    # Routing alone would pick the one idle longest: the other counselor.
    await db(CounselorProfile.objects.filter(pk=inviter.pk).update)(
        last_assigned_at=timezone.now() - timedelta(minutes=1)
    )
    comm, _, hello = await visitor_socket(site)

    def invite():
        client = APIClient()
        client.force_authenticate(inviter.user)
        url = f"/api/visitors/{hello['visitor']['id']}/invite/"
        return client.post(url, {"message": "Need a hand?"}, format="json")

    assert (await db(invite)()).status_code == 201
    offer, _ = await receive_until(comm, of_type("offer"))
    assert offer["offer"]["persona"]["name"] == "Jiwoo"
    assert "_counselor" not in offer["offer"]  # the server's own key stays there
    await comm.send_json_to(
        {"type": "offer_response", "offer": offer["offer"]["id"], "outcome": "accepted"}
    )
    assigned, skipped = await receive_until(
        comm, lambda f: f["type"] == "conversation" and f["conversation"]["agent"]
    )
    assert assigned["conversation"]["agent"] == {"name": "Jiwoo"}
    # The words came first (seq 1, before routing); the title is only the name.
    early = [f for f in skipped if f["type"] == "message"]
    frame = early[0] if early else (await receive_until(comm, of_type("message")))[0]
    assert (frame["message"]["seq"], frame["message"]["body"]) == (1, "Need a hand?")
    for socket in (comm, inviter_socket, idle_socket):
        await socket.disconnect()
