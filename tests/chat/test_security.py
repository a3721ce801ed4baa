"""Who may connect and what they may touch; bad input gets an error, not a crash.

Every rule has an allow and a deny test with the same setup."""

import pytest
from channels.db import database_sync_to_async as db
from django.test import override_settings

from chat.models import Message
from chat.services.visitors import visitor_token
from tests.chat.wsutil import (
    ORIGIN,
    agent_socket,
    of_type,
    receive_until,
    visitor_socket,
)
from tests.factories import CounselorFactory, SiteFactory, VisitorFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(db):
    return SiteFactory()


async def still_alive(comm):
    await comm.send_json_to({"type": "ping"})
    pong, _ = await receive_until(comm, of_type("pong"))
    return pong


# -- Origins -------------------------------------------------------------------


async def test_visitor_socket_accepts_an_allowed_origin(site):
    comm, code, hello = await visitor_socket(site, origin=ORIGIN)
    assert code is None and hello["type"] == "hello"
    await comm.disconnect()


@pytest.mark.parametrize(
    "origin", ["https://evil.example.com", "http://shop.example.com", "null", None]
)
async def test_visitor_socket_refuses_other_origins(site, origin):
    comm, code, _ = await visitor_socket(site, origin=origin)
    assert code == 4403


async def test_visitor_socket_refuses_an_unknown_site(site):
    site.public_key = "pk_nope"  # not saved: the key in the URL matches no site
    comm, code, _ = await visitor_socket(site)
    assert code == 4403


async def test_counselor_socket_accepts_same_origin(site):
    counselor = await db(CounselorFactory)(sites=[site])
    comm, code, hello = await agent_socket(counselor.user)
    assert code is None and hello["me"]["id"] == counselor.pk
    await comm.disconnect()


async def test_counselor_socket_refuses_a_foreign_origin(site):
    counselor = await db(CounselorFactory)(sites=[site])
    comm, code, _ = await agent_socket(counselor.user, origin=ORIGIN)
    assert code == 4403


async def test_counselor_socket_refuses_no_session(site):
    comm, code, _ = await agent_socket(None)
    assert code == 4403


# -- Visitors reach only their own conversations --------------------------------


async def start_chat(comm, client_id="c1"):
    await comm.send_json_to({"type": "send", "client_id": client_id, "body": "hi"})
    ack, _ = await receive_until(comm, of_type("ack", client_id=client_id))
    return ack["conversation"]


async def test_visitor_reads_and_closes_own_conversation(site):
    comm, _, _ = await visitor_socket(site)
    mine = await start_chat(comm)
    await comm.send_json_to({"type": "sync", "conversation": mine, "after_seq": 0})
    history, _ = await receive_until(comm, of_type("history"))
    assert history["messages"][0]["body"] == "hi"
    await comm.send_json_to({"type": "close", "conversation": mine})
    closed, _ = await receive_until(comm, of_type("conversation"))
    assert closed["conversation"]["status"] == "closed"
    await comm.disconnect()


async def test_visitor_cannot_read_post_to_or_close_anothers_conversation(site):
    victim, _, _ = await visitor_socket(site)
    theirs = await start_chat(victim)
    attacker, _, _ = await visitor_socket(site)
    for frame in (
        {"type": "sync", "conversation": theirs, "after_seq": 0},
        {"type": "read", "conversation": theirs, "seq": 1},
        {"type": "close", "conversation": theirs},
    ):
        await attacker.send_json_to(frame)
        error, skipped = await receive_until(attacker, of_type("error"))
        assert error["code"] == "not_found", frame
        assert not any(f["type"] == "history" for f in skipped)
    # Posting goes to the attacker's own (new) conversation, never the victim's.
    own = await start_chat(attacker, "x1")
    assert own != theirs
    bodies = await db(
        lambda: list(
            Message.objects.filter(conversation_id=theirs).values_list(
                "body", flat=True
            )
        )
    )()
    assert bodies == ["hi"]
    pong = await still_alive(victim)
    assert pong["conversation"]["status"] == "queued"
    await victim.disconnect()
    await attacker.disconnect()


async def test_a_token_resumes_its_visitor(site):
    visitor = await db(VisitorFactory)(site=site)
    comm, _, hello = await visitor_socket(site, token=visitor_token(visitor))
    assert hello["visitor"]["id"] == str(visitor.public_id)
    assert hello["visitor"]["new"] is False
    await comm.disconnect()


async def test_forged_or_foreign_site_tokens_get_a_new_visitor(site):
    visitor = await db(VisitorFactory)(site=site)
    other_site_visitor = await db(VisitorFactory)()
    for token in (
        visitor_token(visitor)[:-2] + "xx",
        await db(visitor_token)(other_site_visitor),
    ):
        comm, _, hello = await visitor_socket(site, token=token)
        assert hello["visitor"]["new"] is True
        assert hello["visitor"]["id"] not in (
            str(visitor.public_id),
            str(other_site_visitor.public_id),
        )
        await comm.disconnect()


async def test_nothing_works_before_resume(site):
    comm, _, _ = await visitor_socket(site, resume=False)
    await comm.send_json_to({"type": "send", "client_id": "c1", "body": "hi"})
    error, _ = await receive_until(comm, of_type("error"))
    assert error["code"] == "not_ready"
    await comm.disconnect()


# -- Counselors reach only their sites -------------------------------------------


async def test_counselor_of_the_site_can_sync_and_close(site):
    counselor = await db(CounselorFactory)(sites=[site])
    visitor, _, _ = await visitor_socket(site)
    conversation = await start_chat(visitor)
    agent, _, _ = await agent_socket(counselor.user)
    await agent.send_json_to(
        {"type": "sync", "conversation": conversation, "after_seq": 0}
    )
    history, _ = await receive_until(agent, of_type("history"))
    assert history["messages"][0]["body"] == "hi"
    await agent.send_json_to({"type": "close", "conversation": conversation})
    await receive_until(
        agent, lambda f: f["type"] == "conversation" and f["reason"] == "closed"
    )
    await agent.disconnect()
    await visitor.disconnect()


async def test_counselor_of_another_site_cannot_touch_the_conversation(site):
    outsider = await db(CounselorFactory)(sites=[await db(SiteFactory)()])
    visitor, _, _ = await visitor_socket(site)
    conversation = await start_chat(visitor)
    agent, _, hello = await agent_socket(outsider.user)
    assert hello["queue"] == []
    # Another site's conversation answers exactly as one that does not exist.
    for kind in ("sync", "accept", "close", "read", "transfer"):
        answers = []
        for target in (conversation, conversation + 10_000):
            frame = {"type": kind, "conversation": target, "after_seq": 0, "seq": 1,
                     "to_counselor": outsider.pk}  # fmt: skip
            await agent.send_json_to(frame)
            error, _ = await receive_until(agent, of_type("error"))
            answers.append((error["code"], error["message"]))
        assert answers[0] == answers[1] == ("not_found", "No such conversation."), kind
    await agent.send_json_to(
        {"type": "send", "conversation": conversation, "client_id": "z", "body": "hi"}
    )
    error, _ = await receive_until(agent, of_type("error"))
    assert error["code"] == "not_found"
    await agent.disconnect()
    await visitor.disconnect()


# -- Bad input: error frame, socket survives ----------------------------------------


async def test_malformed_frames_get_errors_and_the_socket_survives(site):
    comm, _, _ = await visitor_socket(site)
    cases = [
        ("{not json", "bad_json"),
        ("[1, 2]", "bad_frame"),
        ('{"type": 5}', "bad_frame"),
        ('{"type": "explode"}', "unknown_type"),
        ('{"type": "send", "client_id": "c1", "body": 123}', "bad_field"),
        ('{"type": "send", "client_id": 7, "body": "x"}', "bad_field"),
        ('{"type": "send", "client_id": "c1", "body": "   "}', "bad_field"),
        ('{"type": "sync", "conversation": "1", "after_seq": 0}', "bad_field"),
        ('{"type": "typing", "typing": "yes"}', "bad_field"),
        ('{"type": "read", "conversation": true, "seq": 1}', "bad_field"),
    ]
    for text, code in cases:
        await comm.send_to(text_data=text)
        error, _ = await receive_until(comm, of_type("error"))
        assert error["code"] == code, text
    await comm.send_to(bytes_data=b"\x00\x01")
    error, _ = await receive_until(comm, of_type("error"))
    assert error["code"] == "bad_frame"
    await still_alive(comm)
    await comm.disconnect()


async def test_long_message_is_refused_and_a_normal_one_passes(site, settings):
    comm, _, _ = await visitor_socket(site)
    limit = settings.CHAT["MAX_TEXT_CHARS"]
    await comm.send_json_to(
        {"type": "send", "client_id": "c1", "body": "x" * (limit + 1)}
    )
    error, _ = await receive_until(comm, of_type("error"))
    assert error["code"] == "too_long"
    await comm.send_json_to({"type": "send", "client_id": "c2", "body": "x" * limit})
    ack, _ = await receive_until(comm, of_type("ack"))
    assert ack["seq"] == 1
    await comm.disconnect()


async def test_oversized_frame_gets_an_error_frame(site, settings):
    comm, _, _ = await visitor_socket(site)
    huge = '{"type": "send", "client_id": "c1", "body": "' + "x" * 100_000 + '"}'
    await comm.send_to(text_data=huge)
    error, _ = await receive_until(comm, of_type("error"))
    assert error["code"] == "too_large"
    await still_alive(comm)
    assert await db(Message.objects.count)() == 0
    await comm.disconnect()


async def test_flooding_visitor_is_throttled_then_disconnected(site):
    comm, _, _ = await visitor_socket(site)
    for i in range(30):
        await comm.send_json_to({"type": "send", "client_id": f"m{i}", "body": "spam"})
    frames = []
    while True:
        frame, _ = await receive_until(comm, lambda f: True)
        frames.append(frame)
        if sum(f["type"] in ("ack", "error") for f in frames) == 30:
            break
    acks = [f for f in frames if f["type"] == "ack"]
    limited = [f for f in frames if f.get("code") == "rate_limited"]
    assert limited and acks and len(acks) + len(limited) == 30
    # Every acknowledged message is stored; none that was refused is.
    assert await db(Message.objects.count)() == len(acks)
    for _ in range(200):
        await comm.send_to(text_data='{"type": "ping"}')
    output = await comm.receive_output(timeout=5)
    while output["type"] != "websocket.close":
        output = await comm.receive_output(timeout=5)
    assert output["code"] == 4429


@override_settings()
async def test_ordinary_pace_is_not_throttled(site):
    comm, _, _ = await visitor_socket(site)
    for i in range(5):
        await comm.send_json_to({"type": "send", "client_id": f"m{i}", "body": "ok"})
        ack, skipped = await receive_until(comm, of_type("ack", client_id=f"m{i}"))
        assert not any(f["type"] == "error" for f in skipped)
    await comm.disconnect()


async def test_allowed_origin_matches_whatever_its_case(site):
    site.allowed_origins = "https://Shop.Example.com/"
    await db(site.save)()
    comm, code, _ = await visitor_socket(site, origin="https://shop.example.com")
    assert code is None
    await comm.disconnect()


async def test_read_marker_on_a_note_is_capped_for_the_visitor(site):
    from chat.services.conversations import conversation_mark_read

    counselor = await db(CounselorFactory)(sites=[site])
    agent, _, _ = await agent_socket(counselor.user)
    await agent.send_json_to({"type": "status", "status": "online"})
    await receive_until(agent, of_type("status"))
    visitor, _, _ = await visitor_socket(site)
    conversation = await start_chat(visitor)
    await agent.send_json_to(
        {
            "type": "send",
            "conversation": conversation,
            "client_id": "n",
            "kind": "note",
            "body": "internal",
        }
    )
    await receive_until(agent, of_type("ack", client_id="n"))
    # seq 1: the "assigned" event (staff-only), 2: the visitor's message, 3: the note
    await db(conversation_mark_read)(
        conversation_id=conversation, seq=3, counselor=counselor
    )
    read, _ = await receive_until(visitor, of_type("read"))
    assert read["seq"] == 2
    agent_read, _ = await receive_until(agent, of_type("read"))
    assert agent_read["seq"] == 3
    await visitor.send_json_to({"type": "ping"})
    pong, _ = await receive_until(visitor, of_type("pong"))
    assert pong["conversation"]["agent_read_seq"] == 2
    await visitor.disconnect()
    await agent.disconnect()


async def test_console_socket_of_a_logged_out_session_is_closed(site):
    from django.contrib.sessions.models import Session

    counselor = await db(CounselorFactory)(sites=[site])
    comm, _, _ = await agent_socket(counselor.user)
    await still_alive(comm)  # allow: a live session keeps its socket
    await db(Session.objects.all().delete)()  # logout removes the session
    await comm.send_json_to({"type": "ping"})
    output = await comm.receive_output(timeout=5)
    assert (output["type"], output["code"]) == ("websocket.close", 4403)


async def test_a_refused_send_names_its_client_id(site):
    comm, _, _ = await visitor_socket(site)
    await comm.send_json_to({"type": "send", "client_id": "c9", "body": "x" * 4_001})
    error, _ = await receive_until(comm, of_type("error"))
    assert (error["code"], error.get("ref")) == ("too_long", "c9")
    await comm.disconnect()
