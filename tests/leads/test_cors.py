"""CORS of the public endpoints, through the async middleware stack as daphne runs
it (the signal handler runs in the event loop, where the ORM may not)."""

import pytest
from django.test import AsyncClient

from leads.cors import known_origins_clear
from tests.factories import ORIGIN, SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_origins():
    known_origins_clear()
    yield
    known_origins_clear()


async def test_requests_with_an_origin_work_under_the_async_stack():
    from channels.db import database_sync_to_async as db

    await db(SiteFactory)()
    client = AsyncClient()
    response = await client.get("/healthz", headers={"Origin": ORIGIN})
    assert response.status_code == 200
    preflight = await client.options(
        "/public/v1/leads",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == ORIGIN


async def test_unknown_origin_gets_no_cors_header():
    client = AsyncClient()
    preflight = await client.options(
        "/public/v1/leads",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
        },
    )
    assert "Access-Control-Allow-Origin" not in preflight.headers
