"""The widget under an overloaded server, in chromium: refused with a `retry` frame
and close 4503, it waits the hinted time (no sooner, no tight loop), then resumes."""

from __future__ import annotations

import asyncio
import threading

import pytest
from playwright.sync_api import expect
from websockets.asyncio.client import connect

from tests.support.browser import W, rows
from tests.support.servers import demo_server
from tests.support.waiting import wait_until

pytestmark = pytest.mark.e2e

HOLD_SECONDS = 3


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory):
    # One resume at a time, and a short budget: a socket that never resumes holds
    # the only place for HOLD_SECONDS.
    env = {
        "CHAT_VISITOR_RESUME_LIMIT": "1",
        "CHAT_VISITOR_RESUME_BUDGET_SECONDS": str(HOLD_SECONDS),
    }
    with demo_server(tmp_path_factory.mktemp("tight"), extra_env=env) as server:
        yield server


def hold_the_only_place(server) -> threading.Thread:
    """A client that connects and never sends `resume` (it holds the place until
    the server's budget runs out and closes it). Returns once it is in."""
    connected = threading.Event()

    async def hold() -> None:
        url = f"ws://127.0.0.1:{server.port}/ws/visitor/?site={server.site_key}"
        async with connect(url, origin=server.url, proxy=None) as ws:
            connected.set()
            try:
                await asyncio.wait_for(ws.wait_closed(), HOLD_SECONDS + 5)
            except TimeoutError:
                pass

    thread = threading.Thread(target=asyncio.run, args=(hold(),), daemon=True)
    thread.start()
    assert connected.wait(10), "the holder could not connect"
    return thread


# Every socket the page opens, timed in the page itself (Playwright's events arrive
# late by up to a few hundred milliseconds).
RECORD_SOCKETS = """
window.__sockets = [];
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(...args) {
    super(...args);
    const entry = { opened: performance.now(), frames: [], closed: null, code: null };
    window.__sockets.push(entry);
    this.addEventListener("message", (e) => entry.frames.push(JSON.parse(e.data)));
    this.addEventListener("close", (e) => {
      entry.closed = performance.now();
      entry.code = e.code;
    });
  }
};
"""


def test_widget_waits_the_hinted_time_then_resumes(tight_server, contexts, screenshot):
    server = tight_server
    holder = hold_the_only_place(server)  # in before the page loads
    page = contexts()
    page.add_init_script(RECORD_SOCKETS)
    page.goto(f"{server.alt_url}/demo/?server={server.url}")
    page.locator(f"{W} .launcher").click()
    page.locator(f"{W} textarea").fill("Still there?")
    page.locator(f"{W} .send").click()
    # Stored once the widget got in (when the holder's place was freed).
    expect(page.locator(f"{W} .msgs")).to_contain_text("Still there?", timeout=20_000)
    wait_until(
        lambda: rows(
            server, "SELECT id FROM chat_message WHERE body = ?", "Still there?"
        ),
        20,
        "the message stored",
        describe=lambda _: f"{page.evaluate('window.__sockets')}\n{server.log_tail()}",
    )
    screenshot(page, "widget-after-overload")
    holder.join(10)

    sockets = page.evaluate("window.__sockets")
    kinds = [[f.get("type") for f in s["frames"]] for s in sockets]
    refused = [i for i, s in enumerate(sockets) if s["code"] == 4503]
    assert refused, f"the widget was never refused: {kinds}"
    assert "hello" in kinds[-1], kinds
    for i in refused:
        retry = next(f for f in sockets[i]["frames"] if f.get("type") == "retry")
        assert retry["reason"] == "busy" and retry["retry_after"] > 0
        # The next attempt came after the hint (less the widget's 10% jitter).
        waited_ms = sockets[i + 1]["opened"] - sockets[i]["closed"]
        assert waited_ms >= 0.9 * 1000 * retry["retry_after"] - 20, (waited_ms, retry)
    # Every socket but the last was refused for overload: none for anything else.
    assert refused == list(range(len(sockets) - 1)), (sockets, server.log_tail())
