"""WebsocketCommunicator helpers for consumer tests (real channels-redis layer): the
two sockets, frames until one matches, and a chat between them."""

from __future__ import annotations

import asyncio

from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.test import Client

from config.asgi import application
from core.jsonutil import loads

ORIGIN = "https://shop.example.com"


async def visitor_socket(site, *, origin=ORIGIN, token=None, resume=True):
    headers = [(b"host", b"chat.example.com"), (b"user-agent", b"pytest")]
    if origin:
        headers.append((b"origin", origin.encode()))
    comm = WebsocketCommunicator(
        application, f"/ws/visitor/?site={site.public_key}&lang=ko", headers=headers
    )
    connected, code = await comm.connect()
    if not connected:
        return comm, code, None
    hello = None
    if resume:
        await comm.send_json_to({"type": "resume", "token": token})
        hello = await comm.receive_json_from(timeout=5)
        assert hello["type"] == "hello", hello
    return comm, None, hello


@database_sync_to_async
def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def agent_socket(user, *, origin="http://testserver", host="testserver"):
    headers = [(b"host", host.encode())]
    if origin:
        headers.append((b"origin", origin.encode()))
    if user is not None:
        cookie = await session_cookie(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    comm = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
    connected, code = await comm.connect()
    if not connected:
        return comm, code, None
    hello = await comm.receive_json_from(timeout=5)
    assert hello["type"] == "hello", hello
    return comm, None, hello


async def receive_until(comm, predicate, *, timeout=5.0):
    """Frames received until one matches; returns (match, skipped)."""
    skipped = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"no matching frame; got {skipped}")
        frame = loads(await comm.receive_from(timeout=remaining))
        if predicate(frame):
            return frame, skipped
        skipped.append(frame)


def of_type(kind, **fields):
    def match(frame):
        return frame.get("type") == kind and all(
            frame.get(k) == v for k, v in fields.items()
        )

    return match


def from_agent(frame):
    return frame["type"] == "message" and frame["message"]["sender"]["kind"] == "agent"


def from_visitor(frame):
    return (
        frame["type"] == "message" and frame["message"]["sender"]["kind"] == "visitor"
    )


async def online(comm):
    await comm.send_json_to({"type": "status", "status": "online"})
    await receive_until(comm, of_type("status", status="online"))


async def live_chat(site, counselor):
    """An online counselor and a visitor whose first message the counselor has got.
    Returns (agent, visitor, conversation id, visitor hello)."""
    agent, _, _ = await agent_socket(counselor.user)
    await online(agent)
    visitor, _, hello = await visitor_socket(site)
    await visitor.send_json_to({"type": "send", "client_id": "c1", "body": "hi"})
    ack, _ = await receive_until(visitor, of_type("ack"))
    await receive_until(agent, from_visitor)
    await receive_until(visitor, assigned)
    return agent, visitor, ack["conversation"], hello


def assigned(frame):
    return frame["type"] == "conversation" and frame["reason"] == "assigned"
