"""A site's rules compiled for the runtime, and their per-process cache.

``site_rules`` keeps one compiled ``SiteRules`` per site and process in a
``core.cache.LocalCache``. It is rebuilt when ``rules_changed`` bumps the site's
version in the shared cache (read at most every ``VERSION_CHECK_SECONDS`` per site,
so a change reaches every process within that time), when a rule's ``starts_at`` or
``ends_at`` passes, and at the latest after ``RULES_TTL_SECONDS``. While the shared
cache is away the rules held are served. ``site_rules_peek`` and ``site_rules_stale``
never do I/O (for the event loop).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db import transaction
from django.utils import timezone

from chat.models import Site
from core.cache import LocalCache
from targeting.engine import evaluator
from targeting.engine.actions import validate_action
from targeting.engine.conditions import compile_condition
from targeting.engine.conditions_values import RuleError
from targeting.engine.index import RuleIndex
from targeting.engine.validation import target_pages_normalise
from targeting.models import Rule

log = logging.getLogger(__name__)

VERSION_CHECK_SECONDS = 1.0
# The version check does the work; the ttl only bounds how long a version bump lost
# while the shared cache was away (or a rule saved around the admin) goes unseen.
RULES_TTL_SECONDS = 300.0


def rule_compile(*, rule: Rule) -> evaluator.Rule:
    """The engine's rule (raises ``RuleError`` for a rule that was never cleaned)."""
    return evaluator.compile_rule(
        id=rule.pk,
        condition=compile_condition(rule.condition),
        priority=rule.priority,
        target_pages=target_pages_normalise(rule.target_pages, "$target_pages"),
    )


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """A rule's settings, detached from the ORM (same attribute names as the model,
    so ``rule_allowed`` takes either)."""

    id: int
    site_id: int
    name: str
    priority: int
    kind: str
    action: dict[str, Any]
    fallback: dict[str, Any] | None
    cap_per_visitor: int
    cap_per_session: int
    cap_days: int
    starts_at: datetime | None
    ends_at: datetime | None
    hours_from: time | None
    hours_until: time | None
    holdout_percent: int
    offer_timeout_seconds: int
    active: bool = True

    @classmethod
    def of(cls, rule: Rule) -> RuleSpec:
        """Raises ``RuleError`` for an action that was never validated."""
        action = validate_action(rule.action)
        return cls(
            id=rule.pk,
            site_id=rule.site_id,
            name=rule.name,
            priority=rule.priority,
            kind=action["kind"],
            action=action,
            fallback=validate_action(rule.fallback) if rule.fallback else None,
            cap_per_visitor=rule.cap_per_visitor,
            cap_per_session=rule.cap_per_session,
            cap_days=rule.cap_days,
            starts_at=rule.starts_at,
            ends_at=rule.ends_at,
            hours_from=rule.hours_from,
            hours_until=rule.hours_until,
            holdout_percent=rule.holdout_percent,
            offer_timeout_seconds=rule.offer_timeout_seconds,
            active=rule.active,
        )


class SiteRules(RuleIndex):
    """The index of a site's rules in force, plus their settings by rule id."""

    def __init__(self, rules: Iterable[tuple[evaluator.Rule, RuleSpec]]) -> None:
        pairs = list(rules)
        super().__init__(compiled for compiled, _ in pairs)
        self.specs: dict[int, RuleSpec] = {spec.id: spec for _, spec in pairs}


@dataclass(frozen=True, slots=True)
class _Held:
    rules: SiteRules
    valid_until: datetime | None  # the next starts_at/ends_at: rebuild then

    def current(self, now: datetime) -> bool:
        return self.valid_until is None or now < self.valid_until


rules_cache: LocalCache[int, _Held] = LocalCache(
    "targeting:rules", ttl=RULES_TTL_SECONDS, check_every=VERSION_CHECK_SECONDS
)


def _in_force(rule: Rule, now: datetime) -> bool:
    return (rule.starts_at is None or rule.starts_at <= now) and (
        rule.ends_at is None or now < rule.ends_at
    )


def _load(site_id: int, now: datetime) -> _Held:
    pairs = []
    boundaries = []
    for rule in Rule.objects.filter(site_id=site_id, active=True):
        boundaries += [t for t in (rule.starts_at, rule.ends_at) if t and t > now]
        if not _in_force(rule, now):
            continue
        try:
            pairs.append((rule_compile(rule=rule), RuleSpec.of(rule)))
        except RuleError as exc:
            # Saved around clean() (shell, fixtures): skip it, keep the others.
            log.error("targeting rule %s of site %s skipped: %s", rule.pk, site_id, exc)
    return _Held(SiteRules(pairs), min(boundaries, default=None))


def site_rules(*, site: Site | int, now: datetime | None = None) -> SiteRules:
    """The site's active rules in force at ``now``, compiled and indexed (sync: may
    query the database and read the shared cache). Cached per process; see the
    module docstring."""
    site_id = site if isinstance(site, int) else site.pk
    at = now or timezone.now()
    held = rules_cache.get(site_id, lambda: _load(site_id, at))
    if not held.current(at):  # a rule started or ended since it was loaded
        rules_cache.invalidate(site_id)
        held = rules_cache.get(site_id, lambda: _load(site_id, at))
    return held.rules


def site_rules_peek(site_id: int, *, now: datetime | None = None) -> SiteRules | None:
    """The cached rules when they need neither the cache server nor the database
    (an async caller's fast path); None: call ``site_rules`` on a thread."""
    held = rules_cache.peek(site_id)
    if held is None or not held.current(now or timezone.now()):
        return None
    return held.rules


def site_rules_stale(site_id: int, *, now: datetime | None = None) -> SiteRules | None:
    """The cached rules even when their version is due for a re-check (at most a
    second or so old), unless a rule's start or end has passed. For async callers
    that refresh in the background instead of waiting. No I/O."""
    held = rules_cache.stale(site_id)
    if held is None or not held.current(now or timezone.now()):
        return None
    return held.rules


def rules_changed(*, site_id: int) -> None:
    """A rule of the site was saved or deleted: every process reloads the site's
    rules within ``VERSION_CHECK_SECONDS``, this one at once. Runs after commit: a
    process reading earlier would cache the old rows under the new version."""
    transaction.on_commit(lambda: rules_cache.changed(site_id))


def rules_cache_clear() -> None:
    rules_cache.clear()
