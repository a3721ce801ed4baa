"""Helpers of the rule tests: rules saved through ``full_clean`` like the admin
does, a clean rules cache, and a visitor's record on a bags page."""

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from targeting.models import Rule, TrackEvent
from targeting.services.rules import rules_cache_clear

BAGS = {
    "all": [
        {"field": "category", "op": "eq", "value": "bags"},
        {"field": "dwell", "gte": 60},
    ]
}
BANNER = {"kind": "banner", "title": "Bags -20% today"}


def rule_build(site, **kw: Any) -> Rule:
    kw.setdefault("name", "Bags sale")
    kw.setdefault("condition", BAGS)
    kw.setdefault("action", BANNER)
    return Rule(site=site, **kw)


def rule_make(site, **kw: Any) -> Rule:
    rule = rule_build(site, **kw)
    rule.full_clean()
    rule.save()
    return rule


@pytest.fixture
def rules_cache():
    rules_cache_clear()
    yield
    rules_cache_clear()


def on_bags_page(visitor, *, dwell: float, now=None):
    """The visitor's record: a visit, then a bags page entered ``dwell`` s ago."""
    now = now or timezone.now()
    entered = now - timedelta(seconds=dwell)
    TrackEvent.objects.create(
        visitor=visitor,
        session_key="sess-0001",
        kind="session",
        at=entered - timedelta(minutes=1),
        data={"device": "desktop"},
    )
    TrackEvent.objects.create(
        visitor=visitor,
        session_key="sess-0001",
        kind="page_view",
        at=entered,
        url="https://shop.example.com/bags/tote?ref=x",
        data={"title": "Tote", "category": "bags", "product": None},
    )
