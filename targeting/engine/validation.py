"""A rule's fields checked together, as the editor saves them: the condition, the
target pages (with the editor's "re:<regex>" shorthand), the action and its fallback,
the daily hours and the active dates. Messages by field, each naming its JSON path.

Pure: the one fact that needs the database, whether a coupon pool belongs to the
rule's site, is asked of the caller (``pool_exists``); ``Rule.clean()`` answers it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from targeting.engine.actions import validate_action
from targeting.engine.conditions import compile_condition
from targeting.engine.conditions_page import PageTarget, parse_target_pages
from targeting.engine.conditions_values import RuleError


def target_pages_normalise(value: Any, path: str = "$") -> list[Any]:
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
    return parse_target_pages(target_pages_normalise(value, path), path)


@dataclass(frozen=True, slots=True)
class RuleFields:
    """The outcome of ``rule_fields_check``: ``errors`` by field (empty: valid), and
    the action and fallback to store (normalised where they are valid, as given
    where they are not; an empty fallback is None)."""

    errors: dict[str, str]
    action: Any
    fallback: Any


def _pool_error(
    action: dict[str, Any], pool_exists: Callable[[int], bool]
) -> str | None:
    if action["kind"] != "coupon" or pool_exists(action["pool"]):
        return None
    return f"$.pool: no coupon pool #{action['pool']} on this rule's site"


def rule_fields_check(
    *,
    condition: Any,
    target_pages: Any,
    action: Any,
    fallback: Any,
    hours_from: time | None,
    hours_until: time | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
    pool_exists: Callable[[int], bool],
) -> RuleFields:
    """Everything wrong with a rule's fields. ``pool_exists(pool_id)``: whether the
    coupon pool is one of the rule's site (asked only of valid coupon actions)."""
    errors: dict[str, str] = {}
    try:
        compile_condition(condition)
    except RuleError as exc:
        errors["condition"] = str(exc)
    try:
        target_pages_parse(target_pages)
    except RuleError as exc:
        errors["target_pages"] = str(exc)
    kind = None
    try:
        action = validate_action(action)
        kind = action["kind"]
        if problem := _pool_error(action, pool_exists):
            errors["action"] = problem
    except RuleError as exc:
        errors["action"] = str(exc)
    if fallback:
        try:
            valid = validate_action(fallback)
        except RuleError as exc:
            errors["fallback"] = str(exc)
        else:
            fallback = valid
            if kind is not None and kind not in ("chat_invite", "coupon"):
                errors["fallback"] = (
                    "only a chat invitation (shown when no counselor has free "
                    "capacity) or a coupon (shown when its pool has no code left) "
                    "has a fallback; leave it empty"
                )
            elif valid["kind"] == "chat_invite":
                errors["fallback"] = (
                    "a chat invitation cannot fall back to another chat invitation: "
                    "the fallback is shown when no counselor is free"
                    if kind == "chat_invite"
                    else "a coupon cannot fall back to a chat invitation: use a "
                    "banner, a callback offer or another pool's coupon"
                )
            elif problem := _pool_error(valid, pool_exists):
                errors["fallback"] = problem
    else:
        fallback = None
    if (hours_from is None) != (hours_until is None):
        errors["hours_until"] = "give both daily hours, or neither (all day)"
    elif hours_from is not None and hours_from == hours_until:
        errors["hours_until"] = (
            "the daily hours are empty; leave both blank for all day"
        )
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = "the rule ends before it starts"
    return RuleFields(errors=errors, action=action, fallback=fallback)
