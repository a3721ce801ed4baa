"""Rules of a site: validation at save, compilation, the per-process cache, and the
checks the engine does not make (frequency caps, active dates and hours, holdout).

``site_rules`` keeps one compiled ``SiteRules`` per site and process. It is rebuilt
when ``rules_changed`` bumps the site's version in the shared cache (read at most
every ``VERSION_CHECK_SECONDS`` per site, so a change reaches every process within
that time) and when a rule's ``starts_at`` or ``ends_at`` passes.
"""

from __future__ import annotations

import hashlib
import logging
import time as _time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Protocol

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from chat.models import Site
from targeting.engine import evaluator
from targeting.engine.actions import validate_action
from targeting.engine.conditions import compile_condition
from targeting.engine.conditions_page import PageTarget, parse_target_pages
from targeting.engine.conditions_values import RuleError
from targeting.engine.index import RuleIndex
from targeting.engine.snapshot import Snapshot
from targeting.models import CouponPool, Offer, Rule

log = logging.getLogger(__name__)

VERSION_CHECK_SECONDS = 1.0
HOLDOUT = Offer.Variant.HOLDOUT.value
TREATMENT = Offer.Variant.TREATMENT.value

# (shown_at, session_key) of one visitor's earlier offers of one rule, oldest first.
History = Sequence[tuple[datetime, str]]


# Validation and compilation.


def _pages_normalise(value: Any, path: str) -> list[Any]:
    """Target pages as ``parse_target_pages`` reads them: "re:<regex>" strings
    become {"regex": ...}; other strings are path prefixes and must start with "/"."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RuleError(path, f"expected a list of page targets, got {value!r}")
    out: list[Any] = []
    for i, item in enumerate(value):
        if isinstance(item, str):
            if item.startswith("re:"):
                item = {"regex": item[3:]}
            elif not item.startswith("/"):
                raise RuleError(
                    f"{path}[{i}]",
                    f'expected a path prefix starting with "/" or "re:<regex>", '
                    f"got {item!r}",
                )
        out.append(item)
    return out


def target_pages_parse(value: Any, path: str = "$") -> tuple[PageTarget, ...]:
    return parse_target_pages(_pages_normalise(value, path), path)


def _pool_error(action: dict[str, Any], site_id: int | None) -> str | None:
    if action["kind"] != "coupon":
        return None
    if CouponPool.objects.filter(pk=action["pool"], site_id=site_id).exists():
        return None
    return f"$.pool: no coupon pool #{action['pool']} on this rule's site"


def rule_errors(rule: Rule) -> dict[str, str]:
    """Messages by field for everything wrong with ``rule`` (empty: valid). Stores
    the normalised action and fallback on ``rule`` as a side effect."""
    errors: dict[str, str] = {}
    try:
        compile_condition(rule.condition)
    except RuleError as exc:
        errors["condition"] = str(exc)
    try:
        target_pages_parse(rule.target_pages)
    except RuleError as exc:
        errors["target_pages"] = str(exc)
    kind = None
    try:
        rule.action = validate_action(rule.action)
        kind = rule.action["kind"]
        if problem := _pool_error(rule.action, rule.site_id):
            errors["action"] = problem
    except RuleError as exc:
        errors["action"] = str(exc)
    if rule.fallback:
        try:
            fallback = validate_action(rule.fallback)
        except RuleError as exc:
            errors["fallback"] = str(exc)
        else:
            rule.fallback = fallback
            if kind is not None and kind not in ("chat_invite", "coupon"):
                errors["fallback"] = (
                    "only a chat invitation (shown when no counselor has free "
                    "capacity) or a coupon (shown when its pool has no code left) "
                    "has a fallback; leave it empty"
                )
            elif fallback["kind"] == "chat_invite":
                errors["fallback"] = (
                    "a chat invitation cannot fall back to another chat invitation: "
                    "the fallback is shown when no counselor is free"
                    if kind == "chat_invite"
                    else "a coupon cannot fall back to a chat invitation: use a "
                    "banner, a callback offer or another pool's coupon"
                )
            elif problem := _pool_error(fallback, rule.site_id):
                errors["fallback"] = problem
    else:
        rule.fallback = None
    if (rule.hours_from is None) != (rule.hours_until is None):
        errors["hours_until"] = "give both daily hours, or neither (all day)"
    elif rule.hours_from is not None and rule.hours_from == rule.hours_until:
        errors["hours_until"] = (
            "the daily hours are empty; leave both blank for all day"
        )
    if rule.starts_at and rule.ends_at and rule.ends_at <= rule.starts_at:
        errors["ends_at"] = "the rule ends before it starts"
    return errors


def rule_compile(rule: Rule) -> evaluator.Rule:
    """The engine's rule (raises ``RuleError`` for a rule that was never cleaned)."""
    return evaluator.compile_rule(
        id=rule.pk,
        condition=compile_condition(rule.condition),
        priority=rule.priority,
        target_pages=_pages_normalise(rule.target_pages, "$target_pages"),
    )


# What the runtime needs of a rule besides its condition.


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


@dataclass(slots=True)
class _Entry:
    rules: SiteRules
    version: int
    valid_until: datetime | None  # the next starts_at/ends_at: rebuild then
    checked_until: float  # monotonic; the version is re-read after it


_cache: dict[int, _Entry] = {}


def _version_key(site_id: int) -> str:
    return f"targeting:rules-version:{site_id}"


def _version(site_id: int) -> int | None:
    try:
        return int(cache.get(_version_key(site_id), 0))
    except Exception:  # the cache is down: keep what we have
        log.warning("rules version unreadable for site %s", site_id, exc_info=True)
        return None


def _in_force(rule: Rule, now: datetime) -> bool:
    return (rule.starts_at is None or rule.starts_at <= now) and (
        rule.ends_at is None or now < rule.ends_at
    )


def _load(site_id: int, now: datetime) -> tuple[SiteRules, datetime | None]:
    pairs = []
    boundaries = []
    for rule in Rule.objects.filter(site_id=site_id, active=True):
        boundaries += [t for t in (rule.starts_at, rule.ends_at) if t and t > now]
        if not _in_force(rule, now):
            continue
        try:
            pairs.append((rule_compile(rule), RuleSpec.of(rule)))
        except RuleError as exc:
            # Saved around clean() (shell, fixtures): skip it, keep the others.
            log.error("targeting rule %s of site %s skipped: %s", rule.pk, site_id, exc)
    return SiteRules(pairs), min(boundaries, default=None)


def site_rules(*, site: Site | int, now: datetime | None = None) -> SiteRules:
    """The site's active rules in force at ``now``, compiled and indexed (sync: may
    query the database). Cached per process; see the module docstring."""
    site_id = site if isinstance(site, int) else site.pk
    now = now or timezone.now()
    entry = _cache.get(site_id)
    clock = _time.monotonic()
    if entry is not None and (entry.valid_until is None or now < entry.valid_until):
        if clock < entry.checked_until:
            return entry.rules
        version = _version(site_id)
        if version is None or version == entry.version:
            entry.checked_until = clock + VERSION_CHECK_SECONDS
            return entry.rules
    else:
        version = _version(site_id)
    rules, valid_until = _load(site_id, now)
    _cache[site_id] = _Entry(
        rules, version or 0, valid_until, clock + VERSION_CHECK_SECONDS
    )
    return rules


def site_rules_peek(site_id: int, *, now: datetime | None = None) -> SiteRules | None:
    """The cached rules when they need neither the cache server nor the database
    (an async caller's fast path); None: call ``site_rules`` on a thread."""
    entry = _cache.get(site_id)
    if entry is None or _time.monotonic() >= entry.checked_until:
        return None
    if entry.valid_until is not None and (now or timezone.now()) >= entry.valid_until:
        return None
    return entry.rules


def site_rules_stale(site_id: int, *, now: datetime | None = None) -> SiteRules | None:
    """The cached rules even when their version is due for a re-check (at most a
    second or so old), unless a rule's start or end has passed. For async callers
    that refresh in the background instead of waiting."""
    entry = _cache.get(site_id)
    if entry is None:
        return None
    if entry.valid_until is not None and (now or timezone.now()) >= entry.valid_until:
        return None
    return entry.rules


def rules_changed(*, site_id: int) -> None:
    """A rule of the site was saved or deleted: every process reloads the site's
    rules within ``VERSION_CHECK_SECONDS``, this one at once. Runs after commit: a
    process reading earlier would cache the old rows under the new version."""

    def bump() -> None:
        try:
            cache.incr(_version_key(site_id))
        except ValueError:
            cache.set(_version_key(site_id), 1, timeout=None)
        _cache.pop(site_id, None)

    transaction.on_commit(bump)


def rules_cache_clear() -> None:
    _cache.clear()


# Caps, dates, hours, holdout.


class RuleSettings(Protocol):
    active: bool
    cap_per_visitor: int
    cap_per_session: int
    cap_days: int
    starts_at: datetime | None
    ends_at: datetime | None
    hours_from: time | None
    hours_until: time | None


def _times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


def rule_blockers(
    rule: RuleSettings, *, snapshot: Snapshot, history: History
) -> Iterable[str]:
    """Why ``rule`` may not be shown now, in plain English (lazily, in order)."""
    now = snapshot.now
    if not rule.active:
        yield "the rule is inactive"
    if rule.starts_at is not None and now < rule.starts_at:
        yield f"the rule starts at {rule.starts_at.isoformat()}"
    if rule.ends_at is not None and now >= rule.ends_at:
        yield f"the rule ended at {rule.ends_at.isoformat()}"
    start, end = rule.hours_from, rule.hours_until
    if start is not None and end is not None:
        t = snapshot.local.time()
        inside = (start <= t < end) if start < end else (t >= start or t < end)
        if not inside:
            yield (
                f"outside the rule's hours {start:%H:%M}-{end:%H:%M} "
                f"(it is {t:%H:%M} in the site's zone)"
            )
    if rule.cap_per_visitor and len(history) >= rule.cap_per_visitor:
        yield (
            f"already shown {_times(len(history))} to this visitor "
            f"(cap: {_times(rule.cap_per_visitor)})"
        )
    if rule.cap_per_session:
        session = snapshot.session.id
        n = sum(1 for _, key in history if key == session)
        if n >= rule.cap_per_session:
            yield (
                f"already shown {_times(n)} in this visit "
                f"(cap: {_times(rule.cap_per_session)})"
            )
    if rule.cap_days and history:
        last = max(at for at, _ in history)
        again = last + timedelta(days=rule.cap_days)
        if now < again:
            yield (
                f"shown {last.isoformat()}; once every {rule.cap_days} day(s): "
                f"not before {again.isoformat()}"
            )


def rule_allowed(rule: RuleSettings, *, snapshot: Snapshot, history: History) -> bool:
    """Whether caps, active dates and hours let ``rule`` be shown now. ``history``:
    the visitor's earlier offers of this rule (held-out ones included, so both
    variants are capped alike), as (shown_at, session_key)."""
    return (
        next(iter(rule_blockers(rule, snapshot=snapshot, history=history)), None)
        is None
    )


def variant_for(rule_id: int, visitor_id: int, holdout_percent: int) -> str:
    """ "holdout" for a stable ``holdout_percent`` % of visitors per rule, else
    "treatment": the same answer in every process and after restarts."""
    if holdout_percent <= 0:
        return TREATMENT
    digest = hashlib.blake2b(
        f"holdout:{rule_id}:{visitor_id}".encode(), digest_size=8
    ).digest()
    bucket = int.from_bytes(digest, "big") % 10_000
    return HOLDOUT if bucket < holdout_percent * 100 else TREATMENT


def offer_history_load(
    *, visitor_id: int, rule_ids: Iterable[int] | None = None
) -> dict[int, list[tuple[datetime, str]]]:
    """The visitor's earlier offers by rule id, oldest first (for ``rule_allowed``)."""
    rows = Offer.objects.filter(visitor_id=visitor_id)
    if rule_ids is not None:
        rows = rows.filter(rule_id__in=list(rule_ids))
    out: dict[int, list[tuple[datetime, str]]] = {}
    for rule_id, at, key in rows.order_by("shown_at", "id").values_list(
        "rule_id", "shown_at", "session_key"
    ):
        out.setdefault(rule_id, []).append((at, key))
    return out
