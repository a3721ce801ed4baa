"""Both sockets end to end through the ASGI app and the channels-redis layer."""

import asyncio

import pytest
from channels.db import database_sync_to_async as db

from chat.models import Conversation, Message
from tests.chat.wsutil import (
    agent_socket,
    from_agent,
    from_visitor,
    live_chat,
    of_type,
    online,
    receive_until,
    visitor_socket,
)
from tests.factories import CounselorFactory, SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Past redis-py 8's default 5 s socket timeout, which must not end idle subscribers.
IDLE_SECONDS = 5.5


@pytest.fixture
def setup(db):
    site = SiteFactory()
    counselor = CounselorFactory(sites=[site], max_concurrent=3)
    return site, counselor


async def test_visitor_message_reaches_counselor_and_reply_comes_back(setup):
    site, counselor = setup
    agent, _, hello = await agent_socket(counselor.user)
    assert hello["me"]["id"] == counselor.pk
    await online(agent)
    visitor, _, vhello = await visitor_socket(site)
    assert vhello["conversation"] is None and vhello["visitor"]["token"]

    await visitor.send_json_to(
        {"type": "send", "client_id": "c1", "body": "안녕하세요"}
    )
    ack, _ = await receive_until(visitor, of_type("ack", client_id="c1"))
    # seq 1 is the "assigned" event (counselors only): the visitor never sees it.
    assert ack["seq"] == 2 and ack["duplicate"] is False
    assigned, _ = await receive_until(
        agent, lambda f: f["type"] == "conversation" and f["reason"] == "assigned"
    )
    conversation_id = assigned["conversation"]["id"]
    incoming, _ = await receive_until(agent, from_visitor)  # after the event line
    assert incoming["message"]["body"] == "안녕하세요"
    assert incoming["message"]["conversation"] == conversation_id

    await agent.send_json_to(
        {
            "type": "send",
            "conversation": conversation_id,
            "client_id": "a1",
            "body": "네!",
        }
    )
    agent_ack, _ = await receive_until(agent, of_type("ack", client_id="a1"))
    assert agent_ack["seq"] == 3
    reply, skipped = await receive_until(visitor, from_agent)
    assert reply["message"]["body"] == "네!"
    assert reply["message"]["sender"] == {
        "kind": "agent",
        "name": counselor.display_name,
    }
    assert any(
        f["type"] == "conversation" and f["conversation"]["agent"] for f in skipped
    )
    await visitor.disconnect()
    await agent.disconnect()


async def test_resent_client_id_is_acked_once_and_stored_once(setup):
    site, _ = setup
    visitor, _, _ = await visitor_socket(site)
    for _ in range(2):
        await visitor.send_json_to({"type": "send", "client_id": "same", "body": "x"})
    first, _ = await receive_until(visitor, of_type("ack", client_id="same"))
    second, _ = await receive_until(visitor, of_type("ack", client_id="same"))
    assert first["id"] == second["id"] and second["duplicate"] is True
    assert await db(Message.objects.count)() == 1
    await visitor.disconnect()


async def test_token_resumes_the_same_visitor_and_history(setup):
    site, _ = setup
    visitor, _, hello = await visitor_socket(site)
    token = hello["visitor"]["token"]
    await visitor.send_json_to({"type": "send", "client_id": "c1", "body": "first"})
    ack, _ = await receive_until(visitor, of_type("ack"))
    await visitor.disconnect()

    again, _, hello2 = await visitor_socket(site, token=token)
    assert hello2["visitor"]["id"] == hello["visitor"]["id"]
    assert hello2["conversation"]["id"] == ack["conversation"]
    assert hello2["conversation"]["last_seq"] == 1
    await again.send_json_to(
        {"type": "sync", "conversation": ack["conversation"], "after_seq": 0}
    )
    history, _ = await receive_until(again, of_type("history"))
    assert [m["body"] for m in history["messages"]] == ["first"]
    assert history["has_more"] is False
    await again.disconnect()


async def test_sync_returns_only_messages_after_the_seq(setup):
    site, _ = setup
    visitor, _, _ = await visitor_socket(site)
    for i in range(4):
        await visitor.send_json_to(
            {"type": "send", "client_id": f"c{i}", "body": f"m{i}"}
        )
        ack, _ = await receive_until(visitor, of_type("ack", client_id=f"c{i}"))
    await visitor.send_json_to(
        {"type": "sync", "conversation": ack["conversation"], "after_seq": 2}
    )
    history, _ = await receive_until(visitor, of_type("history"))
    assert [m["seq"] for m in history["messages"]] == [3, 4]
    await visitor.disconnect()


async def test_ping_answers_with_latest_seq(setup):
    site, _ = setup
    visitor, _, _ = await visitor_socket(site)
    await visitor.send_json_to({"type": "send", "client_id": "c1", "body": "x"})
    await receive_until(visitor, of_type("ack"))
    await visitor.send_json_to({"type": "ping"})
    pong, _ = await receive_until(visitor, of_type("pong"))
    assert pong["conversation"]["last_seq"] == 1
    assert pong["conversation"]["status"] == "queued"
    assert pong["conversation"]["queue_position"] == 1
    await visitor.disconnect()


async def test_queue_position_and_manual_accept(setup):
    site, counselor = setup
    site.routing = "manual"
    await db(site.save)()
    agent, _, _ = await agent_socket(counselor.user)
    visitor, _, _ = await visitor_socket(site)
    await visitor.send_json_to({"type": "start"})
    started, _ = await receive_until(visitor, of_type("conversation"))
    assert started["conversation"]["queue_position"] == 1
    queued, _ = await receive_until(agent, of_type("queue", op="add"))
    conversation_id = queued["conversation"]["id"]
    await agent.send_json_to({"type": "accept", "conversation": conversation_id})
    await receive_until(agent, of_type("queue", op="remove"))
    update, _ = await receive_until(
        visitor,
        lambda f: f["type"] == "conversation" and f["reason"] == "assigned",
    )
    assert update["conversation"]["agent"]["name"] == counselor.display_name
    assert update["conversation"]["status"] == "active"
    await visitor.disconnect()
    await agent.disconnect()


async def test_typing_and_read_receipts_cross_over(setup):
    site, counselor = setup
    # live_chat waits for the `assigned` frame: the visitor socket learns the
    # assignee from it, so typing has somewhere to go.
    agent, visitor, conversation_id, _ = await live_chat(site, counselor)
    await visitor.send_json_to({"type": "typing", "typing": True})
    typing, _ = await receive_until(agent, of_type("typing"))
    assert typing == {
        "type": "typing",
        "conversation": conversation_id,
        "sender": "visitor",
        "typing": True,
    }
    await agent.send_json_to(
        {"type": "typing", "conversation": conversation_id, "typing": True}
    )
    agent_typing, _ = await receive_until(visitor, of_type("typing"))
    assert agent_typing["sender"] == "agent"
    await agent.send_json_to(
        {"type": "read", "conversation": conversation_id, "seq": 1}
    )
    read, _ = await receive_until(visitor, of_type("read"))
    assert (read["reader"], read["seq"]) == ("agent", 1)
    await visitor.disconnect()
    await agent.disconnect()


async def test_internal_note_never_reaches_the_visitor(setup):
    site, counselor = setup
    agent, visitor, conversation_id, _ = await live_chat(site, counselor)
    await agent.send_json_to(
        {
            "type": "send",
            "conversation": conversation_id,
            "client_id": "n1",
            "kind": "note",
            "body": "VIP, be nice",
        }
    )
    await receive_until(agent, of_type("ack", client_id="n1"))
    await agent.send_json_to(
        {
            "type": "send",
            "conversation": conversation_id,
            "client_id": "t1",
            "body": "public",
        }
    )
    reply, skipped = await receive_until(visitor, from_agent)
    # seq 1: the "assigned" event, 2: "hi", 3: the note, 4: "public"
    assert reply["message"]["body"] == "public" and reply["message"]["seq"] == 4
    assert not any(
        f.get("type") == "message" and f["message"]["seq"] in (1, 3) for f in skipped
    )
    await visitor.send_json_to(
        {"type": "sync", "conversation": conversation_id, "after_seq": 0}
    )
    history, _ = await receive_until(visitor, of_type("history"))
    assert [m["body"] for m in history["messages"]] == ["hi", "public"]
    assert history["conversation"]["last_seq"] == 4
    await visitor.disconnect()
    await agent.disconnect()


async def test_card_message_is_validated_and_delivered(setup):
    site, counselor = setup
    agent, visitor, conversation_id, _ = await live_chat(site, counselor)
    ack = {"conversation": conversation_id}
    card = {"title": "Tote bag", "url": "javascript:alert(1)"}
    await agent.send_json_to(
        {
            "type": "send",
            "conversation": ack["conversation"],
            "client_id": "k0",
            "kind": "card",
            "payload": card,
        }
    )
    error, _ = await receive_until(agent, of_type("error"))
    assert error["code"] == "bad_field"
    card["url"] = "https://shop.example.com/bags/1"
    await agent.send_json_to(
        {
            "type": "send",
            "conversation": ack["conversation"],
            "client_id": "k1",
            "kind": "card",
            "payload": card,
        }
    )
    message, _ = await receive_until(visitor, from_agent)
    assert message["message"]["kind"] == "card"
    assert message["message"]["payload"]["url"] == card["url"]
    await visitor.disconnect()
    await agent.disconnect()


async def test_close_by_counselor_tells_the_visitor(setup):
    site, counselor = setup
    agent, _, _ = await agent_socket(counselor.user)
    await online(agent)
    visitor, _, _ = await visitor_socket(site)
    await visitor.send_json_to({"type": "send", "client_id": "c1", "body": "bye"})
    ack, _ = await receive_until(visitor, of_type("ack"))
    await agent.send_json_to({"type": "close", "conversation": ack["conversation"]})
    closed, _ = await receive_until(
        visitor, lambda f: f["type"] == "conversation" and f["reason"] == "closed"
    )
    assert closed["conversation"]["status"] == "closed"
    status = await db(lambda: Conversation.objects.get(pk=ack["conversation"]).status)()
    assert status == "closed"
    # Writing again opens a new conversation.
    await visitor.send_json_to({"type": "send", "client_id": "c2", "body": "again"})
    ack2, _ = await receive_until(visitor, of_type("ack", client_id="c2"))
    # seq 1 of the new conversation is its "assigned" event
    assert ack2["conversation"] != ack["conversation"] and ack2["seq"] == 2
    await visitor.disconnect()
    await agent.disconnect()


async def test_visitor_leaving_puts_chat_in_waiting_and_return_alerts(setup):
    site, counselor = setup
    agent, visitor, conversation_id, hello = await live_chat(site, counselor)
    await visitor.disconnect()
    away, _ = await receive_until(
        agent, lambda f: f["type"] == "conversation" and f["reason"] == "visitor_away"
    )
    assert away["conversation"]["status"] == "waiting"
    back, _, _ = await visitor_socket(site, token=hello["visitor"]["token"])
    await back.send_json_to({"type": "send", "client_id": "c2", "body": "I'm back"})
    returned, _ = await receive_until(
        agent,
        lambda f: f["type"] == "conversation" and f["reason"] == "visitor_returned",
    )
    assert returned["conversation"]["status"] == "active"
    await back.disconnect()
    await agent.disconnect()


async def test_transfer_moves_the_chat_to_a_colleague(setup):
    site, counselor = setup
    colleague = await db(CounselorFactory)(sites=[site])
    agent, _, _ = await agent_socket(counselor.user)
    await online(agent)
    visitor, _, _ = await visitor_socket(site)
    await visitor.send_json_to({"type": "send", "client_id": "c1", "body": "hi"})
    ack, _ = await receive_until(visitor, of_type("ack"))
    other, _, _ = await agent_socket(colleague.user)
    await online(other)
    await agent.send_json_to(
        {
            "type": "transfer",
            "conversation": ack["conversation"],
            "to_counselor": colleague.pk,
        }
    )
    gone, _ = await receive_until(
        agent,
        lambda f: f["type"] == "conversation"
        and f["reason"] == "assigned"
        and f["conversation"]["assignee"]["id"] == colleague.pk,
    )
    got, _ = await receive_until(
        other, lambda f: f["type"] == "conversation" and f["reason"] == "assigned"
    )
    assert got["conversation"]["id"] == ack["conversation"]
    await visitor.send_json_to({"type": "send", "client_id": "c2", "body": "still?"})
    message, _ = await receive_until(other, from_visitor)
    assert message["message"]["body"] == "still?"
    for comm in (visitor, agent, other):
        await comm.disconnect()


async def test_idle_sockets_outlive_the_redis_socket_timeout(setup):
    """redis-py 8 defaults to a 5 s socket timeout (docs/stack-notes.md): idle
    sockets must survive it (idle for longer than 5 s: the setup and this wait)."""
    site, counselor = setup
    agent, visitor, conversation_id, _ = await live_chat(site, counselor)
    ack = {"conversation": conversation_id}
    await asyncio.sleep(IDLE_SECONDS)
    await agent.send_json_to(
        {
            "type": "send",
            "conversation": ack["conversation"],
            "client_id": "a1",
            "body": "still here",
        }
    )
    message, _ = await receive_until(visitor, from_agent)
    assert message["message"]["body"] == "still here"
    await visitor.disconnect()
    await agent.disconnect()


async def test_visitor_navigating_to_another_page_is_not_marked_away(setup, settings):
    settings.CHAT = {**settings.CHAT, "VISITOR_AWAY_GRACE_SECONDS": 1.0}
    site, counselor = setup
    agent, visitor, conversation_id, hello = await live_chat(site, counselor)
    ack = {"conversation": conversation_id}
    await visitor.disconnect()
    next_page, _, _ = await visitor_socket(site, token=hello["visitor"]["token"])
    await asyncio.sleep(1.5)
    status = await db(lambda: Conversation.objects.get(pk=ack["conversation"]).status)()
    assert status == "active"
    await next_page.disconnect()
    await agent.disconnect()
