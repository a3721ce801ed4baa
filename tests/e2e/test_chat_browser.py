"""The whole path in chromium: a shop page on one origin, the console on another,
daphne on PostgreSQL and channels-redis, a message each way."""

from __future__ import annotations

import os
import subprocess

import pytest
from playwright.sync_api import expect

from tests.support.servers import demo_server

pytestmark = pytest.mark.e2e

W = "livechat-widget"  # the widget's host element; CSS selectors pierce its shadow
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


@pytest.fixture(scope="module")
def pg_redis_server(tmp_path_factory):
    name = f"livechat_e2e_{os.getpid()}"
    psql = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-q", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name}"], check=True)
    subprocess.run([*psql, f"CREATE DATABASE {name}"], check=True)
    env = {
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{name}",
        "REDIS_URL": "redis://127.0.0.1:6379/0",
        "CHANNEL_PREFIX": f"e2e{os.getpid()}",
    }
    try:
        with demo_server(tmp_path_factory.mktemp("pg"), extra_env=env) as server:
            yield server
    finally:
        subprocess.run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])


def test_visitor_on_shop_origin_and_counselor_on_console_chat_both_ways(
    pg_redis_server, browser, screenshot
):
    server = pg_redis_server
    console_ctx = browser.new_context(viewport={"width": 1366, "height": 768})
    shop_ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        console = console_ctx.new_page()
        console.goto(f"{server.url}/console/login/")
        console.fill("input[name=username]", "counselor")
        console.fill("input[name=password]", "demo-pass-1234")
        console.click("button[type=submit]")
        console.wait_for_url(f"{server.url}/console/")
        expect(console.locator("[data-region=connection]")).to_have_attribute(
            "data-state", "open"
        )
        console.select_option("[data-action=status]", "online")
        expect(console.locator("[data-region=status-wrap]")).to_have_attribute(
            "data-status", "online"
        )

        # The shop is on localhost; the widget and its socket on 127.0.0.1.
        shop = shop_ctx.new_page()
        shop.goto(f"{server.alt_url}/demo/?server={server.url}")
        assert shop.evaluate("location.origin") != console.evaluate("location.origin")
        shop.locator(f"{W} .launcher").click()
        shop.locator(f"{W} textarea").fill("Is the leather tote in brown?")
        shop.locator(f"{W} .send").click()
        shop.locator(f"{W} textarea").fill(XSS)
        shop.locator(f"{W} .send").click()

        chat = console.locator(".chat-item").first
        expect(chat).to_be_visible(timeout=10_000)
        chat.click()
        messages = console.locator("[data-region=messages]")
        expect(messages).to_contain_text("Is the leather tote in brown?")
        expect(messages).to_contain_text(XSS)  # shown as the literal text it is
        assert messages.locator("img, script").count() == 0
        assert console.evaluate("window.__xss") is None
        screenshot(console, "two-origins-console-received")

        console.fill("[data-region=composer-input]", "Yes, brown and black.")
        console.click("[data-region=send-btn]")
        expect(shop.locator(f"{W} .msgs")).to_contain_text(
            "Yes, brown and black.", timeout=10_000
        )
        assert shop.evaluate("window.__xss") is None
        screenshot(shop, "two-origins-shop-reply")
        screenshot(console, "two-origins-console-replied")
    finally:
        console_ctx.close()
        shop_ctx.close()
