"""The visitor socket's origin rule, as docs/protocol.md states it: both sides reduced
to scheme://host[:port], compared without regard to case, ports as written."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async as db

from chat.models import Site
from tests.chat.wsutil import visitor_socket
from tests.factories import SiteFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_list_entries_are_reduced_to_scheme_host_and_port():
    site = Site(
        allowed_origins="https://Shop.example.com/store/\nhttp://localhost:8000/\n"
        "shop.example.org\nftp://files.example.com\n*"
    )
    assert site.origins == {"https://shop.example.com", "http://localhost:8000"}


@pytest.mark.parametrize(
    ("origin", "accepted"),
    [
        ("https://shop.example.com", True),
        ("HTTPS://SHOP.EXAMPLE.COM", True),
        ("https://shop.example.com:443", False),  # browsers omit the default port
        ("http://shop.example.com", False),
        ("https://evil.example.com", False),
    ],
)
async def test_origin_header_against_a_list_entry_with_a_path(origin, accepted):
    site = await db(SiteFactory)(allowed_origins="https://shop.example.com/store/")
    comm, code, hello = await visitor_socket(site, origin=origin)
    assert (hello is not None) is accepted, (origin, code)
    if hello is not None:
        await comm.disconnect()
