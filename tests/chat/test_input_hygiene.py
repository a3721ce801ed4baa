"""Issue 8 #1: text under one policy (core.text, docs/protocol.md "Text fields"), and
one bad message never fails the others of its group-commit batch. Real PostgreSQL:
NUL is what it refuses."""

import asyncio

import pytest
from channels.db import database_sync_to_async as db

from chat.models import Conversation, Message
from chat.services.messages import SendItem
from chat.writer import UNSTORABLE, MessageWriter
from core.text import BadText, text_clean, text_cut, text_length, text_strip
from tests.chat.wsutil import receive_until, visitor_socket
from tests.factories import SiteFactory, VisitorFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_policy():
    assert text_clean("a\r\nb\rc\n\td") == "a\nb\nc\n\td"
    for bad in ("\x00", "\x1b", "\x7f", "\x85", "\ud800"):
        with pytest.raises(BadText):
            text_clean(f"hi{bad}")
    assert text_strip("we\x00b\x1b kit\r\n", max_len=5) == "web k"
    # UTF-16 units, as the browser counts: an emoji outside the BMP is 2.
    assert text_length("안녕") == 2 and text_length("👍") == 2
    assert text_cut("a👍b", 2) == "a" and text_cut("a👍b", 3) == "a👍"


def _conversations(n: int):
    site = SiteFactory()
    out = []
    for _ in range(n):
        visitor = VisitorFactory(site=site)
        out.append(Conversation.objects.create(site=site, visitor=visitor))
    return out


async def test_one_refused_item_fails_only_itself():
    """A send the database refuses (it slipped past validation: a NUL in a card's
    JSON, which jsonb cannot hold) in one batch with five good ones: the good ones
    are stored and acknowledged, the bad one alone gets a final error."""
    conversations = await db(_conversations)(6)
    items = [
        SendItem(
            conversation_id=c.pk,
            sender_kind=Message.Sender.VISITOR,
            sender_id=c.visitor_id,
            client_id=f"good-{i}",
            body=f"hello {i}",
        )
        for i, c in enumerate(conversations)
    ]
    bad = SendItem(
        conversation_id=conversations[2].pk,
        sender_kind=Message.Sender.SYSTEM,
        sender_id=0,
        client_id="bad",
        kind=Message.Kind.NOTE,
        body="note",
        payload={"x": "nul\x00here"},
    )
    items.insert(3, bad)
    writer = MessageWriter(asyncio.get_running_loop())
    try:
        # Queued before the writer runs: one batch of seven.
        results = await asyncio.gather(*(writer.submit(item) for item in items))
    finally:
        await asyncio.get_running_loop().run_in_executor(None, writer.close)
    assert results[3].error == UNSTORABLE and results[3].message is None
    good = [r for i, r in enumerate(results) if i != 3]
    assert all(r.error is None and r.message.pk for r in good)
    stored = await db(
        lambda: set(Message.objects.values_list("client_id", flat=True))
    )()
    assert stored == {f"good-{i}" for i in range(6)}


async def test_a_nul_in_a_send_is_a_field_error_and_the_socket_goes_on():
    site = await db(SiteFactory)()
    comm, _, _ = await visitor_socket(site)
    try:
        await comm.send_json_to({"type": "send", "client_id": "c1", "body": "a\x00b"})
        error = await comm.receive_json_from(timeout=5)
        assert error["code"] == "bad_field" and error["ref"] == "c1"
        assert "U+0000" in error["message"]
        await comm.send_json_to({"type": "send", "client_id": "c1", "body": "a\r\nb"})
        ack, _ = await receive_until(comm, lambda f: f["type"] == "ack")
        assert ack["client_id"] == "c1"
        body = await db(lambda: Message.objects.get(pk=ack["id"]).body)()
        assert body == "a\nb"
    finally:
        await comm.disconnect()


async def test_length_is_counted_in_utf16_units_like_the_browser(settings):
    settings.CHAT = {**settings.CHAT, "MAX_TEXT_CHARS": 10}
    site = await db(SiteFactory)()
    comm, _, _ = await visitor_socket(site)
    try:
        # Six emoji: 6 code points, 12 UTF-16 units.
        await comm.send_json_to({"type": "send", "client_id": "e", "body": "😀" * 6})
        error = await comm.receive_json_from(timeout=5)
        assert error["code"] == "too_long"
        await comm.send_json_to({"type": "send", "client_id": "e", "body": "😀" * 5})
        ack, _ = await receive_until(comm, lambda f: f["type"] == "ack")
        assert ack["client_id"] == "e"
    finally:
        await comm.disconnect()


async def test_a_deeper_frame_than_orjson_reads_is_bad_json():
    """orjson stops at 1,024 levels by itself (no Python recursion): bad_json."""
    site = await db(SiteFactory)()
    comm, _, _ = await visitor_socket(site)
    try:
        await comm.send_to(text_data='{"type": "ping", "x": ' + "[" * 2000)
        error = await comm.receive_json_from(timeout=5)
        assert error["code"] == "bad_json"
        await comm.send_json_to({"type": "ping"})
        pong, _ = await receive_until(comm, lambda f: f["type"] == "pong")
        assert pong["type"] == "pong"
    finally:
        await comm.disconnect()
