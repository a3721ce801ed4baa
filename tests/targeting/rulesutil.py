"""Helpers of the rule tests: rules saved through ``full_clean`` like the admin
does, and a clean rules cache."""

from typing import Any

import pytest

from targeting.models import Rule
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
