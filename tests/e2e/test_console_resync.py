"""The console keeps in step with the server when the network misbehaves: a lost
ack, a lost frame, a dead socket, a server restart. Playwright's WebSocket route sits
between the console and the server and drops frames there (its handlers run while
the test calls Playwright: waits on a routed socket pump with `pause(page)`).
"""

from __future__ import annotations

import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.support.browser import (
    HEARTBEAT,
    SHOTS,
    Visitor,
    chat_item,
    console,
    console_server,
    fresh,
)
from tests.support.waiting import pause, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with console_server(tmp_path_factory.mktemp("console-resync")) as running:
        yield running


@pytest.fixture
def live(server):
    return fresh(server)


def test_unacked_reply_is_resent_with_the_same_client_id_after_reconnect(live, browser):
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
                ws.close(code=4000, reason="test cut")
                return
            ws.send(text)

        ws.on_message(from_page)
        server.on_message(from_server)

    with console(browser, live, route=route) as page:
        visitor = Visitor(live).connect()
        visitor.send("Is this in stock?")
        expect(chat_item(page, "Visitor")).to_have_count(1)
        page.locator("[data-region=composer-input]").fill("Yes, it is.")
        page.keyboard.press("Enter")
        expect(page.locator(".msg-own .msg-status").last).to_have_text(
            "Sent", timeout=15000
        )
        assert state["connections"] >= 2
        replies = [f for f in sends if f["body"] == "Yes, it is."]
        assert len(replies) >= 2, replies
        assert len({f["client_id"] for f in replies}) == 1
        visitor.wait_for(
            lambda f: f["type"] == "message" and f["message"]["body"] == "Yes, it is.",
            sleep=pause(page),
        )
        page.wait_for_timeout(500)  # room for a second copy, which must not come
        # Stored once: the visitor saw one message, not one per attempt.
        assert [m["body"] for m in visitor.agent_messages()] == ["Yes, it is."]
        assert page.locator(".msg-own").count() == 1
        visitor.close()


def test_pong_showing_a_higher_seq_makes_the_console_sync(live, browser):
    state = {"drop_visitor_messages": False, "syncs": 0, "histories": 0}

    def route(ws):
        server = ws.connect_to_server()

        def from_page(text):
            if json.loads(text)["type"] == "sync":
                state["syncs"] += 1
            server.send(text)

        def from_server(text):
            frame = json.loads(text)
            state["histories"] += frame["type"] == "history"
            lost = (
                state["drop_visitor_messages"]
                and frame["type"] == "message"
                and frame["message"]["sender"]["kind"] == "visitor"
            )
            if not lost:  # as if Redis restarted while publishing it
                ws.send(text)

        ws.on_message(from_page)
        server.on_message(from_server)

    with console(browser, live, route=route) as page:
        visitor = Visitor(live).connect()
        visitor.send("first")
        texts = page.locator(".messages .msg-visitor .msg-text")
        expect(texts).to_have_text(["first"])
        # In step first: the sync of the chat's opening answered (a late answer
        # would carry the next message and hide the loss).
        wait_until(
            lambda: state["syncs"] and state["histories"] >= state["syncs"],
            10,
            "the opening sync answered",
            sleep=pause(page),
        )
        state["drop_visitor_messages"] = True
        syncs_before = state["syncs"]
        visitor.send("this frame is lost on the way")
        # Only the next pong (every HEARTBEAT seconds) can reveal the gap.
        expect(texts).to_have_text(
            ["first", "this frame is lost on the way"], timeout=(HEARTBEAT * 3) * 1000
        )
        assert state["syncs"] > syncs_before
        visitor.close()


def test_dead_socket_is_replaced_when_pongs_stop(live, browser):
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

    with console(browser, live, route=route) as page:
        started = time.monotonic()
        wait_until(
            lambda: state["connections"] >= 2,
            HEARTBEAT * 6,
            "a new socket (the console kept a socket that answered no ping)",
            interval=0.2,
            sleep=pause(page),
        )
        elapsed = time.monotonic() - started
        assert elapsed >= HEARTBEAT * 1.5, (
            f"reconnected after {elapsed:.1f}s, too eager"
        )
        expect(page.locator("[data-region=connection]")).to_have_attribute(
            "data-state", "open"
        )


def test_console_catches_up_and_delivers_unsent_replies_after_a_server_restart(
    live, browser
):
    with console(browser, live) as page:
        visitor = Visitor(live).connect()
        visitor.send("before the restart")
        texts = page.locator(".messages .msg-visitor .msg-text")
        expect(texts).to_have_text(["before the restart"])

        live.stop()
        visitor.close()
        connection = page.locator("[data-region=connection]")
        expect(connection).to_have_attribute("data-state", "reconnecting")
        # Written while the server is gone: kept and shown as sending.
        page.locator("[data-region=composer-input]").fill("written while offline")
        page.keyboard.press("Enter")
        expect(page.locator(".msg-own .msg-status").last).to_have_text(
            "Waiting for connection…"
        )
        page.screenshot(path=SHOTS / "console-offline.png")

        live.start()
        visitor.connect()
        visitor.send("sent while the console was away")
        expect(connection).to_have_attribute("data-state", "open", timeout=20000)
        expect(texts).to_have_text(
            ["before the restart", "sent while the console was away"]
        )
        expect(page.locator(".msg-own .msg-status").last).to_have_text(
            re.compile("Sent|Read")
        )
        # Whether or not the visitor was connected when it was stored, the record
        # holds the offline reply exactly once.
        visitor.frame(type="sync", conversation=visitor.conversation_id, after_seq=0)
        history = visitor.wait_for(lambda f: f["type"] == "history")
        replies = [
            m["body"] for m in history["messages"] if m["sender"]["kind"] == "agent"
        ]
        assert replies == ["written while offline"]
        visitor.close()
