"""The handshake's sites in memory (chat/sitecache.py): known sites without a
query, edits here at once, unknown keys remembered briefly."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async as db

from chat import sitecache
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh():
    sitecache.clear()
    yield
    sitecache.clear()


async def test_a_known_site_is_answered_from_memory():
    site = await db(SiteFactory)()
    first = await sitecache.site_for_handshake(site.public_key)
    assert first is not None and first.pk == site.pk
    # Gone from the database behind the cache's back: still answered from memory.
    await db(type(site).objects.filter(pk=site.pk).update)(name="renamed")
    again = await sitecache.site_for_handshake(site.public_key)
    assert again is first


async def test_an_edit_on_this_process_applies_at_once():
    site = await db(SiteFactory)(allowed_origins="https://old.example.com")
    assert (await sitecache.site_for_handshake(site.public_key)).origins == {
        "https://old.example.com"
    }
    site.allowed_origins = "https://new.example.com"
    await db(site.save)()  # post_save: site_forget
    fresh = await sitecache.site_for_handshake(site.public_key)
    assert fresh.origins == {"https://new.example.com"}


async def test_an_unknown_key_is_remembered_then_looked_up_again():
    assert await sitecache.site_for_handshake("pk_nothing_here") is None
    site = await db(SiteFactory)(public_key="pk_nothing_here")
    # Within UNKNOWN_SECONDS the key is still unknown here...
    assert await sitecache.site_for_handshake("pk_nothing_here") is None
    # ...and after it, found.
    sitecache._unknown.invalidate("pk_nothing_here")
    found = await sitecache.site_for_handshake("pk_nothing_here")
    assert found is not None and found.pk == site.pk


async def test_oversized_and_empty_keys_are_refused_without_a_lookup():
    assert await sitecache.site_for_handshake("") is None
    assert await sitecache.site_for_handshake("k" * 65) is None
