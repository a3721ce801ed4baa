"""Issue 8 over the sockets: a counselor going offline or logging out tells the
visitor at once (not after the presence grace), and transcript events reach the
console but never the widget."""

import pytest
from channels.db import database_sync_to_async as db
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from leads.services.availability import schedule_cache_clear
from tests.chat.wsutil import agent_socket, of_type, receive_until, visitor_socket
from tests.factories import CounselorFactory, SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Far below CHAT_PRESENCE_GRACE_SECONDS (60): the old behaviour waited for the sweep.
AT_ONCE = 3.0


@pytest.fixture(autouse=True)
def _fresh_schedules():
    schedule_cache_clear()
    yield
    schedule_cache_clear()


def requeued(frame):
    return frame["type"] == "conversation" and frame["reason"] == "requeued"


async def online(comm):
    await comm.send_json_to({"type": "status", "status": "online"})
    await receive_until(comm, of_type("status", status="online"))


async def chatting(site, agent):
    visitor, _, _ = await visitor_socket(site)
    await visitor.send_json_to({"type": "send", "client_id": "c1", "body": "hi"})
    ack, _ = await receive_until(visitor, of_type("ack"))
    await receive_until(
        visitor, lambda f: f["type"] == "conversation" and f["reason"] == "assigned"
    )
    await receive_until(
        agent,
        lambda f: f["type"] == "message"
        and f["message"]["sender"]["kind"] == "visitor",
    )
    return visitor, ack["conversation"]


async def test_status_offline_requeues_and_tells_the_visitor_at_once():
    site = await db(SiteFactory)()
    counselor = await db(CounselorFactory)(sites=[site])
    agent, _, _ = await agent_socket(counselor.user)
    await online(agent)
    visitor, conversation_id = await chatting(site, agent)

    await agent.send_json_to({"type": "status", "status": "offline"})

    frame, skipped = await receive_until(visitor, requeued, timeout=AT_ONCE)
    assert frame["conversation"]["id"] == conversation_id
    assert frame["conversation"]["status"] == "queued"
    assert frame["conversation"]["agent"] is None  # no longer shown as online
    availability, _ = await receive_until(
        visitor, of_type("availability"), timeout=AT_ONCE
    )
    assert availability["availability"]["open"] is False
    assert availability["availability"]["reason"] == "no_counselor"
    # The transcript line is for counselors only.
    assert not any(
        f["type"] == "message" and f["message"]["kind"] == "event" for f in skipped
    )
    await visitor.disconnect()
    await agent.disconnect()


async def test_logout_hands_the_chat_to_a_colleague_at_once():
    site = await db(SiteFactory)()
    leaving = await db(CounselorFactory)(sites=[site], display_name="Leaving")
    colleague = await db(CounselorFactory)(sites=[site], display_name="Staying")
    client = Client()
    await db(client.force_login)(leaving.user)
    cookie = client.cookies["sessionid"].value
    agent = WebsocketCommunicator(
        application,
        "/ws/agent/",
        headers=[
            (b"host", b"testserver"),
            (b"origin", b"http://testserver"),
            (b"cookie", f"sessionid={cookie}".encode()),
        ],
    )
    assert (await agent.connect())[0]
    await receive_until(agent, of_type("hello"))
    await online(agent)
    visitor, conversation_id = await chatting(site, agent)
    other, _, _ = await agent_socket(colleague.user)
    await online(other)

    response = await db(client.post)("/console/logout/")
    assert response.status_code in (200, 302)

    frame, _ = await receive_until(
        visitor,
        lambda f: f["type"] == "conversation"
        and f["reason"] == "assigned"
        and f["conversation"]["agent"] == {"name": "Staying"},
        timeout=AT_ONCE,
    )
    assert frame["conversation"]["id"] == conversation_id
    taken, _ = await receive_until(
        other, lambda f: f["type"] == "conversation" and f["reason"] == "assigned"
    )
    assert taken["conversation"]["id"] == conversation_id
    # The new counselor reads why in the transcript.
    await other.send_json_to(
        {"type": "sync", "conversation": conversation_id, "after_seq": 0}
    )
    history, _ = await receive_until(other, of_type("history"))
    lines = [m["body"] for m in history["messages"] if m["kind"] == "event"]
    assert lines == [
        "Assigned to Leaving",
        "Leaving logged out; back in the queue",
        "Assigned to Staying",
    ]
    for comm in (visitor, agent, other):
        await comm.disconnect()


async def test_transfer_event_reaches_the_console_not_the_widget():
    site = await db(SiteFactory)()
    counselor = await db(CounselorFactory)(sites=[site], display_name="Alice")
    colleague = await db(CounselorFactory)(sites=[site], display_name="Bob")
    agent, _, _ = await agent_socket(counselor.user)
    await online(agent)
    visitor, conversation_id = await chatting(site, agent)
    other, _, _ = await agent_socket(colleague.user)
    await online(other)

    await agent.send_json_to(
        {
            "type": "transfer",
            "conversation": conversation_id,
            "to_counselor": colleague.pk,
        }
    )
    event, _ = await receive_until(
        other, lambda f: f["type"] == "message" and f["message"]["kind"] == "event"
    )
    assert event["message"]["body"] == "Transferred by Alice to Bob"
    assert event["message"]["sender"]["kind"] == "system"
    assert event["message"]["payload"]["by"]["id"] == counselor.pk

    await visitor.send_json_to(
        {"type": "sync", "conversation": conversation_id, "after_seq": 0}
    )
    history, skipped = await receive_until(visitor, of_type("history"))
    assert [m["body"] for m in history["messages"]] == ["hi"]
    assert not any(
        f["type"] == "message" and f["message"]["kind"] == "event" for f in skipped
    )
    for comm in (visitor, agent, other):
        await comm.disconnect()
