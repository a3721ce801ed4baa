"""Durability across processes: two real daphne processes share one PostgreSQL (the
test database) and a private redis-server; clients speak the real protocol over TCP.

Test functions are sync and drive the clients with `asyncio.run`, so every ORM query
runs in the test's own thread on the connection pytest-django manages (rows are
committed by `transaction=True` and visible to the servers).
"""

from __future__ import annotations

import asyncio
import itertools
import os
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from chat.models import CounselorProfile, Message
from tests.factories import ORIGIN, CounselorFactory, SiteFactory
from tests.support.servers import (
    Daphne,
    RedisServer,
    database_url,
    next_daphne_port,
)
from tests.support.waiting import async_wait_until
from tests.support.wsclient import Chat, ChatClient, CounselorClient, VisitorClient

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

_prefixes = itertools.count(1)


@dataclass
class Cluster:
    a: Daphne
    b: Daphne
    redis: RedisServer
    prefix: str

    def group_channel(self, group: str) -> str:
        return f"{self.prefix}__group__{group}"


@dataclass
class People:
    site_key: str
    session: str


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def cluster(transactional_db, redis_server, tmp_path):
    """Daphne A and B on the test database and the private Redis. Requesting the
    database fixture first makes the servers stop before the tables are flushed."""
    redis_server.ensure_running()
    prefix = f"mp{os.getpid()}x{next(_prefixes)}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "REDIS_URL": redis_server.url,
        "CHANNEL_PREFIX": prefix,
        "CHAT_HEARTBEAT_SECONDS": "2",
        # The stream below sends as fast as acks come back; the default visitor
        # budget (3/s) is for humans and would make this a rate-limit test.
        "CHAT_VISITOR_MESSAGES_PER_S": "200",
        "CHAT_VISITOR_FRAMES_PER_S": "400",
        "LOG_LEVEL": "INFO",
    }
    servers = [Daphne(name, next_daphne_port(), env, tmp_path) for name in "ab"]
    try:
        for server in servers:
            server.wait_ready()
        yield Cluster(*servers, redis=redis_server, prefix=prefix)
    finally:
        for server in servers:
            # SIGKILL: a graceful daphne exit takes seconds and proves nothing here.
            server.kill()
            # Shown by pytest only when the test fails.
            print(f"--- daphne {server.name} (:{server.port}) ---\n{server.log_tail()}")


@pytest.fixture
def people(transactional_db):
    site = SiteFactory(allowed_origins=ORIGIN)
    counselor = CounselorFactory(
        sites=[site],
        status=CounselorProfile.Status.ONLINE,
        last_seen_at=timezone.now(),
    )
    client = Client()
    client.force_login(counselor.user)
    return People(
        site_key=site.public_key,
        session=client.cookies[settings.SESSION_COOKIE_NAME].value,
    )


# -- scenario helpers -----------------------------------------------------------


async def open_chat(people: People, visitor_on: Daphne, counselor_on: Daphne) -> Chat:
    counselor = CounselorClient(
        "counselor", session_cookie=people.session, origin=counselor_on.http_url
    )
    visitor = VisitorClient("visitor", site_key=people.site_key, origin=ORIGIN)
    return await Chat.open(
        visitor=visitor,
        visitor_ws=visitor_on.ws_url,
        counselor=counselor,
        counselor_ws=counselor_on.ws_url,
    )


def live_ids(client: ChatClient, sender: str, connection_no: int = 1) -> list[str]:
    return [
        m["client_id"]
        for m in client.live[connection_no]
        if m["sender"]["kind"] == sender
    ]


# -- assertions -----------------------------------------------------------------


def stored(conversation: int) -> list[tuple[int, str, str, str]]:
    return list(
        Message.objects.filter(conversation_id=conversation)
        .order_by("seq")
        .values_list("seq", "sender_kind", "client_id", "body")
    )


def as_rows(messages) -> list[tuple[int, str, str, str]]:
    return [
        (m["seq"], m["sender"]["kind"], m["client_id"], m["body"]) for m in messages
    ]


def assert_record(rows, chat: Chat) -> None:
    """The database holds each send exactly once, in the order it was sent, under
    gap-free seqs, and every ack names the stored seq."""
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1))
    by_sender = {"visitor": chat.visitor, "agent": chat.counselor}
    for kind, client in by_sender.items():
        assert [row[2] for row in rows if row[1] == kind] == client.sent, kind
    seq_of = {row[2]: row[0] for row in rows}
    for client in by_sender.values():
        for ack in client.ack_log:
            assert ack["conversation"] == chat.conversation
            assert ack["seq"] == seq_of[ack["client_id"]], ack


def assert_client_matches(client: ChatClient, rows) -> None:
    assert client.errors == []
    assert client.conflicts == []
    assert as_rows(client.ordered()) == rows, f"{client.name} timeline differs"
    truth = {row[0]: row for row in rows}
    for number, messages in client.live.items():
        seqs = [m["seq"] for m in messages]
        assert len(seqs) == len(set(seqs)), f"{client.name} #{number}: duplicate push"
        for m in messages:
            assert as_rows([m])[0] == truth[m["seq"]]
        for kind in ("visitor", "agent"):
            mine = [m["seq"] for m in messages if m["sender"]["kind"] == kind]
            assert mine == sorted(mine), f"{client.name} #{number}: {kind} out of order"


def assert_clean_log(server: Daphne) -> None:
    log = server.log()
    assert "Traceback" not in log, server.log_tail()


async def wait_resubscribed(cluster: Cluster, chat: Chat, timeout: float = 10.0):
    """Until both servers' channel layers are subscribed to the chat's groups again."""
    channels = [
        cluster.group_channel(f"visitor.{chat.visitor_pk}"),
        cluster.group_channel(f"agent.{chat.counselor.hello['me']['id']}"),
    ]
    counts: list[int] = []

    async def subscribed() -> bool:
        counts[:] = [
            await asyncio.to_thread(cluster.redis.subscribers, c) for c in channels
        ]
        return all(counts)

    await async_wait_until(
        subscribed,
        timeout,
        "the channel layer to resubscribe after the Redis restart (messages "
        "published now would never reach these sockets live)",
        interval=0.1,
        describe=lambda _: f"PUBSUB NUMSUB {channels} = {counts}",
    )


# -- tests ----------------------------------------------------------------------


def test_messages_cross_processes_both_ways_in_order(cluster, people):
    async def scenario() -> Chat:
        chat = await open_chat(people, visitor_on=cluster.a, counselor_on=cluster.b)
        try:
            visitor_ids, counselor_ids = await chat.exchange(20, label="relay")
            await chat.visitor.wait_live(counselor_ids + visitor_ids)
            await chat.counselor.wait_live(visitor_ids + counselor_ids)
            return chat
        finally:
            await chat.close()

    chat = asyncio.run(scenario())

    rows = stored(chat.conversation)
    assert len(rows) == 42  # 41 sends and the "assigned" event (counselors only)
    assert_record(rows, chat)
    visitor_rows = [row for row in rows if row[1] != "system"]
    # Each side got the other's messages live, in the order they were written.
    assert live_ids(chat.visitor, "agent") == chat.counselor.sent
    assert live_ids(chat.counselor, "visitor") == chat.visitor.sent
    for client, theirs in ((chat.visitor, visitor_rows), (chat.counselor, rows)):
        assert len(client.live[1]) == len(theirs)  # nothing lost while Redis is up
        assert not any(ack["duplicate"] for ack in client.ack_log)
        assert_client_matches(client, theirs)
    assert_clean_log(cluster.a)
    assert_clean_log(cluster.b)


def test_visitor_resumes_on_other_process_after_sigkill(cluster, people):
    stream = [f"stream {i}" for i in range(30)]

    async def scenario():
        chat = await open_chat(people, visitor_on=cluster.a, counselor_on=cluster.b)
        visitor, counselor = chat.visitor, chat.counselor
        try:
            await chat.exchange(3, label="before")
            # Stream with up to 3 sends in flight, like a fast typist on a slow link.
            position, streamed = 0, []
            while sum(cid in visitor.acks for cid in streamed) < 10:
                await visitor.wait_for(
                    lambda: len(visitor.unacked()) < 3, timeout=10, what="stream acks"
                )
                streamed.append(await visitor.send(stream[position]))
                position += 1
            # A burst written just before the kill: A cannot have acked all of it.
            for body in stream[position : position + 4]:
                await visitor.send(body)
            position += 4
            cluster.a.kill()
            unacked_at_kill = visitor.unacked()
            acked_at_kill = [cid for cid in visitor.sent if cid in visitor.acks]
            await visitor.wait_for(
                lambda: visitor.close_codes, timeout=5, what="close after SIGKILL"
            )
            assert visitor.close_codes == [1006]  # dropped, no close frame

            # The counselor (on B) keeps writing while the visitor has no socket.
            away = [
                await counselor.send(chat.conversation, f"still here {i}")
                for i in range(3)
            ]
            await counselor.wait_acked(away)

            resent = await visitor.reconnect(cluster.b.ws_url, chat.conversation)
            assert unacked_at_kill, "the kill should leave sends without an ack"
            assert resent == unacked_at_kill
            # A client whose ack was lost in flight resends; it must get the stored
            # message back, not a second copy.
            replay = acked_at_kill[-1]
            stored_seq = visitor.acks[replay]["seq"]
            start = len(visitor.frames)
            await visitor.send(visitor.bodies[replay], client_id=replay)
            replay_ack = await visitor.next_frame(
                "ack", start=start, match=lambda f: f["client_id"] == replay
            )
            assert replay_ack["duplicate"] is True
            assert replay_ack["seq"] == stored_seq

            after = [await visitor.send(body) for body in stream[position:]]
            await visitor.wait_acked(visitor.sent)
            await visitor.wait_live(after)
            await counselor.wait_live(after)
            return (
                chat,
                acked_at_kill + resent,
                await counselor.sync(chat.conversation, 0),
            )
        finally:
            await chat.close()

    chat, must_be_stored, counselor_view = asyncio.run(scenario())

    assert chat.visitor.connections == 2
    rows = stored(chat.conversation)
    assert_record(rows, chat)
    stored_ids = [row[2] for row in rows]
    for cid in must_be_stored:
        assert stored_ids.count(cid) == 1, cid
    # and the "assigned" event, which only counselors see
    assert len(rows) == 1 + 3 * 2 + len(stream) + 3 + 1
    assert_client_matches(chat.visitor, [row for row in rows if row[1] != "system"])
    assert_client_matches(chat.counselor, rows)
    assert as_rows(counselor_view) == rows


def test_redis_restart_heals_open_sockets(cluster, people):
    """Redis crashes and comes back. During the outage the database is the record:
    sends are acked, a new visitor socket is served, pings answer (availability from
    the database). Once Redis is back each server subscribes every socket's groups
    again and pushes an unasked `pong`, so clients resync at once; from then on the
    first message in each direction is live, replies without a seq (`status`) come,
    and new sockets of both kinds work on both servers."""

    async def started_twice(client: ChatClient) -> None:
        # `start` is answered directly and pushed (docs/protocol.md): the push
        # proves the socket's visitor group is subscribed.
        mark = len(client.frames)
        await client.send_frame({"type": "start"})
        await client.wait_for(
            lambda: sum(
                f.get("type") == "conversation" and f.get("reason") == "started"
                for f in client.frames[mark:]
            )
            >= 2,
            timeout=3,
            what="pushed 'started' conversation frame",
        )

    async def scenario():
        chat = await open_chat(people, visitor_on=cluster.a, counselor_on=cluster.b)
        visitor, counselor = chat.visitor, chat.counselor
        extra: list[ChatClient] = []
        try:
            before = await chat.exchange(3, label="before")
            await visitor.wait_live(before[1])
            await counselor.wait_live(before[0])

            cluster.redis.crash()
            # The database is the record: sends are acked with Redis gone.
            await chat.exchange(5, label="redis down", gap=0.05)
            assert visitor.is_open and counselor.is_open
            # A visitor arriving now is served from the database, not refused.
            during = VisitorClient("during", site_key=people.site_key, origin=ORIGIN)
            extra.append(during)
            assert (await during.connect(cluster.a.ws_url))["availability"]
            # Past the 2 s availability cache, a ping still gets its pong.
            await asyncio.sleep(2.5)
            latest = max(a["seq"] for c in (visitor, counselor) for a in c.ack_log)
            for client in (visitor, counselor):
                assert await client.catch_up(chat.conversation) == latest
                held = {m["client_id"] for m in client.timeline.values()}
                assert set(visitor.acks) | set(counselor.acks) <= held, client.name

            marks = [len(visitor.frames), len(counselor.frames)]
            cluster.redis.start()
            # No heartbeat runs: the servers speak first once subscribed again.
            for client, mark in zip((visitor, counselor), marks, strict=True):
                pong = await client.next_frame("pong", start=mark, timeout=5)
                assert client.remote_last_seq(pong, chat.conversation) == latest

            first = await chat.exchange(1, label="first after restart")
            await visitor.wait_live(first[0] + first[1], timeout=3)
            await counselor.wait_live(first[0] + first[1], timeout=3)
            mark = len(counselor.frames)
            await counselor.send_frame({"type": "status", "status": "online"})
            await counselor.next_frame("status", start=mark, timeout=3)
            await started_twice(during)  # joined its groups while Redis was down

            late_counselor = CounselorClient(
                "late", session_cookie=people.session, origin=cluster.a.http_url
            )
            late_visitor = VisitorClient(
                "late", site_key=people.site_key, origin=ORIGIN
            )
            extra += [late_counselor, late_visitor]
            await late_counselor.connect(cluster.a.ws_url)
            await late_visitor.connect(cluster.b.ws_url)
            await started_twice(late_visitor)

            after = await chat.exchange(3, label="after restart")
            # Live, not synced: each side sees both sides' new messages pushed.
            await visitor.wait_live(after[0] + after[1])
            await counselor.wait_live(after[0] + after[1])
            await late_counselor.wait_live(after[0] + after[1])
            assert visitor.is_open and counselor.is_open
            return chat
        finally:
            await asyncio.gather(chat.close(), *(c.close() for c in extra))

    chat = asyncio.run(scenario())

    rows = stored(chat.conversation)
    sends = [row for row in rows if row[1] in ("visitor", "agent")]
    assert len(sends) == 1 + 2 * (3 + 5 + 1 + 3)
    assert_record(rows, chat)
    for client in (chat.visitor, chat.counselor):
        assert client.connections == 1, "healed without a reconnect"
        assert client.errors == []
        assert [row for row in as_rows(client.ordered()) if row in sends] == sends


def test_idle_sockets_survive_past_redis_socket_timeout(cluster, people):
    async def scenario():
        chat = await open_chat(people, visitor_on=cluster.a, counselor_on=cluster.b)
        visitor, counselor = chat.visitor, chat.counselor
        try:
            frames_before = (len(visitor.frames), len(counselor.frames))
            # Longer than redis-py 8's default 5 s socket timeout (docs/stack-notes.md).
            await asyncio.sleep(5.5)
            assert (len(visitor.frames), len(counselor.frames)) == frames_before, (
                visitor.frames[frames_before[0] :],
                counselor.frames[frames_before[1] :],
            )
            assert visitor.is_open and counselor.is_open
            from_counselor = await counselor.send(chat.conversation, "still there?")
            await visitor.wait_live([from_counselor])
            from_visitor = await visitor.send("yes")
            await counselor.wait_live([from_visitor])
            assert visitor.is_open and counselor.is_open
            return chat
        finally:
            await chat.close()

    chat = asyncio.run(scenario())

    for client in (chat.visitor, chat.counselor):
        assert client.connections == 1
        assert client.errors == []
    rows = stored(chat.conversation)
    assert_record(rows, chat)
    assert_clean_log(cluster.a)
    assert_clean_log(cluster.b)
