"""The console keeps in step with the server when the network misbehaves: a lost
ack, a lost frame, a dead socket, a server restart. Playwright's WebSocket route sits
between the console and the server and drops frames there.
"""

from __future__ import annotations

import asyncio
import json
import re
import time

import pytest
from playwright.async_api import expect

from tests.e2e.console_support import (
    HEARTBEAT,
    SHOTS,
    Visitor,
    chat_item,
    console,
    fresh,
    own_loop,
    running_server,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server():
    yield from running_server()


@pytest.fixture
def live(server):
    return fresh(server)


@own_loop
async def test_unacked_reply_is_resent_with_the_same_client_id_after_reconnect(live):
    sends: list[dict] = []
    state = {"connections": 0, "cut": True}

    def route(ws):
        state["connections"] += 1
        server = ws.connect_to_server()

        def from_page(text):
            frame = json.loads(text)
            if frame["type"] == "send":
                sends.append(frame)
            server.send(text)

        def from_server(text):
            frame = json.loads(text)
            if frame["type"] == "ack" and state["cut"]:
                # The server stored the message but the ack is lost with the socket.
                state["cut"] = False
                asyncio.ensure_future(ws.close(code=4000, reason="test cut"))
                return
            ws.send(text)

        ws.on_message(from_page)
        server.on_message(from_server)

    async with console(live, route=route) as page:
        visitor = await Visitor(live).connect()
        await visitor.send("Is this in stock?")
        await expect(chat_item(page, "Visitor")).to_have_count(1)
        await page.locator("[data-region=composer-input]").fill("Yes, it is.")
        await page.keyboard.press("Enter")
        await expect(page.locator(".msg-own .msg-status").last).to_have_text(
            "Sent", timeout=15000
        )
        assert state["connections"] >= 2
        replies = [f for f in sends if f["body"] == "Yes, it is."]
        assert len(replies) >= 2, replies
        assert len({f["client_id"] for f in replies}) == 1
        await asyncio.sleep(0.5)
        # Stored once: the visitor saw one message, not one per attempt.
        assert [m["body"] for m in visitor.agent_messages()] == ["Yes, it is."]
        assert await page.locator(".msg-own").count() == 1
        await visitor.close()


@own_loop
async def test_pong_showing_a_higher_seq_makes_the_console_sync(live):
    state = {"drop_visitor_messages": False, "syncs": 0}

    def route(ws):
        server = ws.connect_to_server()

        def from_page(text):
            if json.loads(text)["type"] == "sync":
                state["syncs"] += 1
            server.send(text)

        def from_server(text):
            frame = json.loads(text)
            lost = (
                state["drop_visitor_messages"]
                and frame["type"] == "message"
                and frame["message"]["sender"]["kind"] == "visitor"
            )
            if not lost:  # as if Redis restarted while publishing it
                ws.send(text)

        ws.on_message(from_page)
        server.on_message(from_server)

    async with console(live, route=route) as page:
        visitor = await Visitor(live).connect()
        await visitor.send("first")
        texts = page.locator(".messages .msg-visitor .msg-text")
        await expect(texts).to_have_text(["first"])
        state["drop_visitor_messages"] = True
        syncs_before = state["syncs"]
        await visitor.send("this frame is lost on the way")
        # Only the next pong (every HEARTBEAT seconds) can reveal the gap.
        await expect(texts).to_have_text(
            ["first", "this frame is lost on the way"], timeout=(HEARTBEAT * 3) * 1000
        )
        assert state["syncs"] > syncs_before
        await visitor.close()


@own_loop
async def test_dead_socket_is_replaced_when_pongs_stop(live):
    state = {"connections": 0, "swallow": True}

    def route(ws):
        state["connections"] += 1
        number = state["connections"]
        server = ws.connect_to_server()

        def from_page(text):
            # The first socket goes silent: pings vanish, nothing comes back.
            if number == 1 and state["swallow"] and json.loads(text)["type"] == "ping":
                return
            server.send(text)

        ws.on_message(from_page)

    async with console(live, route=route) as page:
        started = time.monotonic()
        deadline = started + HEARTBEAT * 6
        while state["connections"] < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
        elapsed = time.monotonic() - started
        assert state["connections"] >= 2, (
            "the console kept a socket that answered no ping"
        )
        assert elapsed >= HEARTBEAT * 1.5, (
            f"reconnected after {elapsed:.1f}s, too eager"
        )
        await expect(page.locator("[data-region=connection]")).to_have_attribute(
            "data-state", "open"
        )


@own_loop
async def test_console_catches_up_and_delivers_unsent_replies_after_a_server_restart(
    live,
):
    async with console(live) as page:
        visitor = await Visitor(live).connect()
        await visitor.send("before the restart")
        texts = page.locator(".messages .msg-visitor .msg-text")
        await expect(texts).to_have_text(["before the restart"])

        live.stop()
        await visitor.close()
        connection = page.locator("[data-region=connection]")
        await expect(connection).to_have_attribute("data-state", "reconnecting")
        # Written while the server is gone: kept and shown as sending.
        await page.locator("[data-region=composer-input]").fill("written while offline")
        await page.keyboard.press("Enter")
        await expect(page.locator(".msg-own .msg-status").last).to_have_text(
            "Waiting for connection…"
        )
        await page.screenshot(path=SHOTS / "console-offline.png")

        await asyncio.to_thread(live.start)
        await visitor.connect()
        await visitor.send("sent while the console was away")
        await expect(connection).to_have_attribute("data-state", "open", timeout=20000)
        await expect(texts).to_have_text(
            ["before the restart", "sent while the console was away"]
        )
        await expect(page.locator(".msg-own .msg-status").last).to_have_text(
            re.compile("Sent|Read")
        )
        # Whether or not the visitor was connected when it was stored, the record
        # holds the offline reply exactly once.
        await visitor.frame(
            type="sync", conversation=visitor.conversation_id, after_seq=0
        )
        history = await visitor.wait_for(lambda f: f["type"] == "history")
        replies = [
            m["body"] for m in history["messages"] if m["sender"]["kind"] == "agent"
        ]
        assert replies == ["written while offline"]
        await visitor.close()
