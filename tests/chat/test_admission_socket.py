"""The admission gate on the visitor socket, through the ASGI app (in process)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async as db
from channels.testing import WebsocketCommunicator

from chat.consumers.gate import admission
from config.asgi import application
from tests.chat.wsutil import ORIGIN, agent_socket, receive_until, visitor_socket
from tests.factories import CounselorFactory, SiteFactory
from tests.support.waiting import async_wait_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def tight(settings):
    settings.CHAT = {
        **settings.CHAT,
        "VISITOR_RESUME_LIMIT": 1,
        "VISITOR_RESUME_BUDGET_SECONDS": 1,
    }
    gate = admission()
    yield gate
    assert gate.in_progress == 0, "every place is given back"


def communicator(site) -> WebsocketCommunicator:
    headers = [(b"host", b"chat.example.com"), (b"origin", ORIGIN.encode())]
    return WebsocketCommunicator(
        application, f"/ws/visitor/?site={site.public_key}", headers=headers
    )


async def test_over_the_bound_a_visitor_is_told_when_to_retry(tight):
    site = await db(SiteFactory)()
    holder = communicator(site)
    assert (await holder.connect())[0]  # holds the only place: no resume yet
    refused = communicator(site)
    connected, _ = await refused.connect()
    assert connected  # accepted so that the browser can read the close code
    frame = await refused.receive_json_from()
    assert frame["type"] == "retry" and frame["reason"] == "busy"
    assert frame["retry_after"] >= 0.5
    assert await refused.receive_output() == {"type": "websocket.close", "code": 4503}
    assert tight.stats.refused == 1
    # The holder resumes: its place is free for the next visitor.
    await holder.send_json_to({"type": "resume", "token": None})
    assert (await holder.receive_json_from())["type"] == "hello"
    assert tight.in_progress == 0
    again, _, hello = await visitor_socket(site)
    assert hello["type"] == "hello"
    await holder.disconnect()
    await again.disconnect()


async def test_a_socket_that_never_resumes_gives_its_place_back_after_the_budget(
    tight,
):
    site = await db(SiteFactory)()
    idle = communicator(site)
    assert (await idle.connect())[0]
    assert tight.in_progress == 1
    frame = await idle.receive_json_from(timeout=3)
    assert frame["type"] == "retry"
    assert await idle.receive_output() == {"type": "websocket.close", "code": 4503}
    assert tight.in_progress == 0
    assert tight.stats.expired == 1


async def test_leaving_before_hello_gives_the_place_back(tight):
    site = await db(SiteFactory)()
    gone = communicator(site)
    assert (await gone.connect())[0]
    await gone.disconnect()
    await async_wait_until(lambda: tight.in_progress == 0, 2, "the place given back")
    comm, _, hello = await visitor_socket(site)
    assert hello["type"] == "hello"
    await comm.disconnect()


async def test_frames_sent_behind_resume_are_handled_after_hello(tight):
    site = await db(SiteFactory)()
    comm = communicator(site)
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "resume", "token": None})
    await comm.send_json_to({"type": "send", "client_id": "early", "body": "hello?"})
    await comm.send_json_to({"type": "ping"})
    first = await comm.receive_json_from()
    assert first["type"] == "hello"
    ack, skipped = await receive_until(comm, lambda f: f["type"] == "ack")
    assert ack["client_id"] == "early"
    assert not [f for f in skipped if f["type"] == "error"], skipped
    await receive_until(comm, lambda f: f["type"] == "pong")
    await comm.disconnect()


async def test_an_oversized_frame_behind_resume_is_refused_not_held(tight, settings):
    site = await db(SiteFactory)()
    comm = communicator(site)
    assert (await comm.connect())[0]
    await comm.send_json_to({"type": "resume", "token": None})
    big = "x" * (settings.CHAT["MAX_FRAME_BYTES"] + 1)
    await comm.send_to(text_data=big)
    # Answered at once, while the resume still waits on the database; a held frame
    # would only be answered after `hello`.
    error = await comm.receive_json_from()
    assert (error["type"], error["code"]) == ("error", "too_large")
    assert (await comm.receive_json_from())["type"] == "hello"
    await comm.disconnect()


async def test_counselors_are_never_held_at_the_gate(tight):
    site = await db(SiteFactory)()
    counselor = await db(CounselorFactory)(sites=[site])
    holder = communicator(site)
    assert (await holder.connect())[0]  # the only visitor place is taken
    agent, code, hello = await agent_socket(counselor.user)
    assert code is None and hello["type"] == "hello"
    await agent.disconnect()
    await holder.disconnect()
