"""Browser-test fixtures: Debian's chromium through Playwright, and screenshots.

Each module starts the server it needs with `tests.support.servers.demo_server`
(daphne on its own SQLite database and the in-process channel layer unless the module
says otherwise, with the demo site allowing both http://127.0.0.1:PORT and
http://localhost:PORT); shared page, console and socket helpers are in
`tests.support.browser`.

`browser` is chromium driven by Playwright's sync API; `screenshot` saves a page
under tests/e2e/screenshots/ (gitignored) for a human to look at.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.servers import CHROMIUM, CHROMIUM_ARGS

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def screenshot():
    """`screenshot(page, "name")` saves tests/e2e/screenshots/name.png."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path))
        return path

    return take


@pytest.fixture
def contexts(browser):
    """`new(**options)` -> a page in a browser context of its own, with the page's
    uncaught errors collected in `page.errors`."""
    made = []

    def new(**options):
        context = browser.new_context(**options)
        made.append(context)
        page = context.new_page()
        page.errors = []
        page.on("pageerror", lambda error: page.errors.append(error))
        return page

    yield new
    for context in made:
        context.close()
