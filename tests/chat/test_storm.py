"""A reconnect storm against real daphne processes with a small admission bound.

Visitors chat on process A; A is killed with SIGKILL; every visitor reconnects to B
at once, more of them than B's bound (CHAT_VISITOR_RESUME_LIMIT) lets resume at a
time. Every attempt must end in `hello` or in a `retry` frame and close 4503: never a
handshake refusal (HTTP 403), a dropped socket or a server error. Clients that honour
the hint all come back, and every message acknowledged before the kill is there.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections import Counter

import pytest
from django.db import connection
from django.test import Client
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from chat.models import CounselorProfile, Message
from core.jsonutil import dumps, loads
from tests.factories import ORIGIN, CounselorFactory, SiteFactory
from tests.support.servers import Daphne, database_url, next_daphne_port

pytestmark = [pytest.mark.multiprocess, pytest.mark.django_db(transaction=True)]

VISITORS = 24
LIMIT = 2
_prefixes = itertools.count(1)


@pytest.fixture
def processes(transactional_db, tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(connection.settings_dict),
        "CHANNEL_PREFIX": f"storm{os.getpid()}x{next(_prefixes)}",
        "CHAT_VISITOR_RESUME_LIMIT": str(LIMIT),
        "CHAT_VISITOR_MESSAGES_PER_S": "100",
        "LOG_LEVEL": "WARNING",
    }
    servers = [Daphne(name, next_daphne_port(), env, tmp_path) for name in "ab"]
    try:
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            if server.proc.poll() is None:
                server.kill()
            print(f"--- daphne {server.name} ---\n{server.log_tail()}")


@pytest.fixture
def site(transactional_db):
    site = SiteFactory(allowed_origins=ORIGIN)
    counselor = CounselorFactory(sites=[site], status=CounselorProfile.Status.ONLINE)
    client = Client()
    client.force_login(counselor.user)
    return site, client.cookies["sessionid"].value


class Visitor:
    """A widget as far as reconnecting goes: resume, honour `retry`, sync."""

    def __init__(self, number: int, site_key: str) -> None:
        self.number = number
        self.site_key = site_key
        self.token: str | None = None
        self.conversation: int | None = None
        self.acked: dict[str, int] = {}  # client id -> seq
        self.outcomes: Counter[str] = Counter()
        self.hints: list[float] = []
        self.ws = None

    async def resume(self, base: str) -> dict:
        """Until resumed; every attempt's outcome is counted by its kind."""
        url = f"{base}/ws/visitor/?site={self.site_key}"
        for _ in range(200):
            try:
                ws = await connect(url, origin=ORIGIN, proxy=None, open_timeout=20)
            except InvalidStatus as exc:
                self.outcomes[f"http {exc.response.status_code}"] += 1
                await asyncio.sleep(0.5)
                continue
            try:
                # A refused socket may be closed already; its frames are still read.
                await ws.send(dumps({"type": "resume", "token": self.token}))
            except ConnectionClosed:
                pass
            try:
                first = loads(await asyncio.wait_for(ws.recv(), 20))
            except ConnectionClosed as exc:
                self.outcomes[f"closed {exc.rcvd.code if exc.rcvd else 1006}"] += 1
                await asyncio.sleep(0.5)
                continue
            if first["type"] == "hello":
                self.outcomes["hello"] += 1
                self.token = first["visitor"]["token"]
                self.ws = ws
                return first
            assert first["type"] == "retry", first
            assert first["reason"] == "busy"
            try:
                await asyncio.wait_for(ws.recv(), 5)
            except ConnectionClosed as exc:
                code = exc.rcvd.code if exc.rcvd else None
            self.outcomes[f"retry {code}"] += 1
            self.hints.append(first["retry_after"])
            await asyncio.sleep(first["retry_after"])
        raise AssertionError(f"visitor {self.number} never resumed: {self.outcomes}")

    async def frame(self, kind: str) -> dict:
        while True:
            frame = loads(await asyncio.wait_for(self.ws.recv(), 20))
            if frame["type"] == kind:
                return frame

    async def chat(self, count: int) -> None:
        for i in range(count):
            cid = f"v{self.number}-m{i}"
            await self.ws.send(dumps({"type": "send", "client_id": cid, "body": cid}))
            while True:
                ack = await self.frame("ack")
                if ack["client_id"] == cid:
                    break
            self.conversation = ack["conversation"]
            self.acked[cid] = ack["seq"]

    async def history(self) -> list[dict]:
        await self.ws.send(
            dumps({"type": "sync", "conversation": self.conversation, "after_seq": 0})
        )
        return (await self.frame("history"))["messages"]


def test_reconnect_storm_resumes_everyone_without_refusing_valid_visitors(
    processes, site
):
    a, b = processes
    site, session = site

    async def scenario():
        visitors = [Visitor(n, site.public_key) for n in range(VISITORS)]
        # Before the kill: every visitor chats on A (admission applies here too).
        await asyncio.gather(*(v.resume(a.ws_url) for v in visitors))
        await asyncio.gather(*(v.chat(2) for v in visitors))
        before = Counter()
        for v in visitors:
            before.update(v.outcomes)
            v.outcomes.clear()
        a.kill()

        # The storm: all at once onto B, and a counselor arriving in the middle.
        async def counselor() -> dict:
            await asyncio.sleep(0.05)
            ws = await connect(
                f"{b.ws_url}/ws/agent/",
                origin=b.http_url,
                additional_headers={"Cookie": f"sessionid={session}"},
                proxy=None,
            )
            hello = loads(await asyncio.wait_for(ws.recv(), 20))
            await ws.close()
            return hello

        storm = asyncio.gather(*(v.resume(b.ws_url) for v in visitors))
        agent_hello, _ = await asyncio.gather(counselor(), storm)
        histories = await asyncio.gather(*(v.history() for v in visitors))
        for v in visitors:
            await v.ws.close()
        return visitors, before, agent_hello, histories

    visitors, before, agent_hello, histories = asyncio.run(scenario())

    after = Counter()
    for v in visitors:
        after.update(v.outcomes)
    # Every attempt ended in hello or in a retry hint with close 4503; nothing else.
    assert set(after) <= {"hello", "retry 4503"}, after
    assert set(before) <= {"hello", "retry 4503"}, before
    assert after["hello"] == VISITORS
    # More visitors than the bound arrived at once: some were told to come back.
    assert after["retry 4503"] > 0, after
    assert all(h > 0 for v in visitors for h in v.hints)
    # Counselors are never held at the gate.
    assert agent_hello["type"] == "hello"
    # Nothing acknowledged before the kill is lost, and each is stored once.
    for v, messages in zip(visitors, histories, strict=True):
        got = {m["client_id"]: m["seq"] for m in messages if m["client_id"]}
        assert got == v.acked
    stored = Message.objects.filter(conversation__visitor__site=site).count()
    assert stored == VISITORS * 2
