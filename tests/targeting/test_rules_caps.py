"""Caps per visitor / visit / N days, active dates, daily hours (wrapping midnight
in the site's zone), the holdout split, and the per-site rules cache."""

import os
import subprocess
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from targeting.engine.snapshot import Session
from targeting.models import Rule
from targeting.services.rules import (
    VERSION_CHECK_SECONDS,
    rule_allowed,
    rule_blockers,
    rules_changed,
    site_rules,
    site_rules_peek,
    variant_for,
)
from tests.targeting.rulesutil import rule_build, rule_make, rules_cache  # noqa: F401
from tests.targeting.util import NOW, ago, snap

pytestmark = pytest.mark.usefixtures("rules_cache")


def in_session(key: str, **kw):
    return snap(session=Session(key, ago(minutes=5)), **kw)


def allowed(rule, history=(), **kw) -> bool:
    return rule_allowed(rule, snapshot=in_session("s2", **kw), history=list(history))


def test_cap_per_visitor_counts_every_visit():
    rule = Rule(cap_per_visitor=2)
    assert allowed(rule, [(ago(days=3), "s1")])
    assert not allowed(rule, [(ago(days=3), "s1"), (ago(minutes=1), "s2")])
    assert allowed(Rule(cap_per_visitor=0), [(ago(days=1), "s1")] * 50)


def test_cap_per_session_counts_this_visit_only():
    rule = Rule(cap_per_session=1)
    assert allowed(rule, [(ago(hours=2), "s1")])
    assert not allowed(rule, [(ago(hours=2), "s1"), (ago(minutes=1), "s2")])


def test_cap_days_waits_n_days_after_the_last_showing():
    rule = Rule(cap_days=3)
    assert not allowed(rule, [(ago(days=10), "s0"), (ago(days=2, hours=23), "s1")])
    assert allowed(rule, [(ago(days=3), "s1")])  # exactly N days later: again
    assert allowed(rule, [])
    reasons = list(
        rule_blockers(rule, snapshot=in_session("s2"), history=[(ago(days=1), "s1")])
    )
    assert reasons == [
        f"shown {ago(days=1).isoformat()}; once every 3 day(s): "
        f"not before {(ago(days=1) + timedelta(days=3)).isoformat()}"
    ]


def test_active_dates():
    assert not allowed(Rule(starts_at=NOW + timedelta(seconds=1)))
    assert allowed(Rule(starts_at=NOW))
    assert not allowed(Rule(ends_at=NOW))
    assert allowed(Rule(ends_at=NOW + timedelta(seconds=1)))
    assert not allowed(Rule(active=False))


def seoul(hour: int, minute: int = 0):
    """NOW's date at hour:minute in Seoul (UTC+9), as a snapshot's now."""
    return datetime(2025, 3, 14, hour, minute, tzinfo=UTC) - timedelta(hours=9)


@pytest.mark.parametrize(
    ("hour", "minute", "expected"),
    [
        (21, 0, True),
        (23, 30, True),
        (0, 0, True),
        (8, 59, True),
        (9, 0, False),
        (12, 0, False),
        (20, 59, False),
    ],
)
def test_hours_wrapping_midnight_in_the_sites_zone(hour, minute, expected):
    rule = Rule(hours_from=time(21), hours_until=time(9))
    assert allowed(rule, now=seoul(hour, minute)) is expected


def test_daytime_hours():
    rule = Rule(hours_from=time(9), hours_until=time(18))
    assert allowed(rule, now=seoul(9))
    assert not allowed(rule, now=seoul(18))
    (reason,) = rule_blockers(rule, snapshot=snap(now=seoul(19, 5)), history=[])
    assert (
        reason
        == "outside the rule's hours 09:00-18:00 (it is 19:05 in the site's zone)"
    )


def test_holdout_split_is_about_right_and_stable():
    held = [v for v in range(1, 2001) if variant_for(7, v, 10) == "holdout"]
    assert 150 <= len(held) <= 250
    assert held == [v for v in range(1, 2001) if variant_for(7, v, 10) == "holdout"]
    # Another rule splits the same visitors differently.
    other = [v for v in range(1, 2001) if variant_for(8, v, 10) == "holdout"]
    assert other != held
    assert all(variant_for(7, v, 0) == "treatment" for v in range(1, 2001))
    half = sum(variant_for(7, v, 50) == "holdout" for v in range(1, 2001))
    assert 900 <= half <= 1100


def test_holdout_is_the_same_in_another_process():
    """A fixed hash (not hash(), salted per process): the count is a constant."""
    code = (
        "import django; django.setup();"
        "from targeting.services.rules import variant_for;"
        "print(sum(variant_for(7, v, 10) == 'holdout' for v in range(1, 2001)))"
    )
    assert sum(variant_for(7, v, 10) == "holdout" for v in range(1, 2001)) == 190
    for seed in ("1", "2"):
        out = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
            cwd=Path(__file__).parents[2],
        )
        assert int(out.stdout) == 190


@pytest.mark.django_db
def test_site_rules_are_compiled_ranked_and_in_force(site):
    low = rule_make(
        site, name="low", priority=1, condition={"field": "dwell", "gte": 60}
    )
    high = rule_make(site, name="high", priority=9, target_pages=["/bags"])
    rule_make(site, name="off", active=False)
    later = rule_make(site, name="later", starts_at=NOW + timedelta(hours=1))
    rule_make(site, name="over", ends_at=NOW - timedelta(seconds=1))
    rules = site_rules(site=site, now=NOW)
    assert [r.id for r in rules.rules] == [high.pk, low.pk]
    assert rules.specs[high.pk].kind == "banner"
    assert [r.id for r in rules.candidates("page_view", "/shoes", None)] == [low.pk]
    # The cache lasts until the next start or end, then rebuilds by itself.
    assert site_rules(site=site, now=NOW) is rules
    assert site_rules_peek(site.pk, now=NOW) is rules
    after = NOW + timedelta(hours=1)
    assert site_rules_peek(site.pk, now=after) is None
    assert later.pk in site_rules(site=site, now=after).specs


@pytest.mark.django_db
def test_rules_changed_reloads_after_commit(site, django_capture_on_commit_callbacks):
    rule = rule_make(site)
    first = site_rules(site=site, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        rule.priority = 5
        rule.save()
        rules_changed(site_id=site.pk)
        assert site_rules(site=site, now=NOW) is first  # not before commit
    again = site_rules(site=site, now=NOW)
    assert again is not first and again.rules[0].priority == 5


@pytest.mark.django_db
def test_another_process_sees_the_change_within_a_second(site, monkeypatch):
    from time import monotonic

    from core.cache import LocalCache
    from targeting.services.rules import rules_cache as held

    rule_make(site)
    first = site_rules(site=site, now=NOW)
    # Another process's cache of the same rules records the change.
    LocalCache(held.name, ttl=1).changed(site.pk)
    assert site_rules(site=site, now=NOW) is first  # checked less than 1 s ago
    later = monotonic() + VERSION_CHECK_SECONDS
    monkeypatch.setattr(held, "clock", lambda: later)
    assert site_rules(site=site, now=NOW) is not first


class _CacheDown:
    """The shared cache while Redis is away: every call fails."""

    def __getattr__(self, name):
        def fail(*args, **kwargs):
            raise ConnectionError("redis is away")

        return fail


@pytest.mark.django_db
def test_peek_and_stale_do_no_io(site, monkeypatch, django_assert_num_queries):
    from targeting.services.rules import rules_cache as held
    from targeting.services.rules import site_rules_stale

    rule_make(site)
    rules = site_rules(site=site, now=NOW)
    monkeypatch.setattr(held, "shared", _CacheDown())
    with django_assert_num_queries(0):
        assert site_rules_peek(site.pk, now=NOW) is rules
        assert site_rules_stale(site.pk, now=NOW) is rules


@pytest.mark.django_db
def test_a_redis_outage_serves_the_rules_held(
    site, monkeypatch, django_assert_num_queries
):
    from time import monotonic

    from targeting.services.rules import rules_cache as held

    rule_make(site)
    first = site_rules(site=site, now=NOW)
    monkeypatch.setattr(held, "shared", _CacheDown())
    later = monotonic() + VERSION_CHECK_SECONDS  # the version is due for a check
    monkeypatch.setattr(held, "clock", lambda: later)
    with django_assert_num_queries(0):
        assert site_rules(site=site, now=NOW) is first


@pytest.mark.django_db
def test_a_rule_saved_around_clean_is_skipped_not_fatal(site):
    good = rule_make(site)
    bad = rule_build(site, condition={"field": "dwel", "gte": 1})
    bad.save()  # no full_clean: a shell or a fixture
    assert list(site_rules(site=site, now=NOW).specs) == [good.pk]


@pytest.mark.django_db
def test_a_rule_with_a_broken_action_is_skipped_too(site):
    good = rule_make(site)
    bad = rule_build(site, action={"kind": "banner"})  # no title
    bad.save()
    assert list(site_rules(site=site, now=NOW).specs) == [good.pk]
