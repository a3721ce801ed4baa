"""Fixtures of the lead tests. Not autouse: tests/leads holds other people's
modules too; ours opt in with `pytestmark = pytest.mark.usefixtures(...)`."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.cache import cache
from rest_framework.test import APIClient

from leads.cors import known_origins_clear
from leads.services.availability import schedule_cache_clear
from tests.factories import LeadSettingsFactory, OpeningPeriodFactory, SiteFactory

# A Wednesday, 10:00 in Seoul: open, with slots today and on the following days.
NOW = datetime(2026, 3, 11, 1, 0, tzinfo=UTC)


@pytest.fixture
def clean_caches(settings):
    """Throttle counters (Redis) and the in-process schedule and origin caches.

    Only this run's keys are deleted: `cache.clear()` would FLUSHDB the Redis
    database that concurrent runs, the channel layer and the Celery broker share."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    client = cache._cache.get_client(write=True)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    known_origins_clear()
    schedule_cache_clear()
    yield
    known_origins_clear()
    schedule_cache_clear()


@pytest.fixture
def frozen():
    """The clock starts at NOW and keeps running."""
    with time_machine.travel(NOW, tick=True):
        yield NOW


@pytest.fixture
def lead_site(db):
    """A site open 09:00-18:00 (Asia/Seoul) every day of the week."""
    site = SiteFactory()
    LeadSettingsFactory(site=site)
    for weekday in range(7):
        OpeningPeriodFactory(site=site, weekday=weekday)
    return site


@pytest.fixture
def api_client():
    def make(profile=None):
        client = APIClient()
        if profile is not None:
            client.force_authenticate(profile.user)
        return client

    return make
