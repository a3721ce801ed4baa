"""The condition language managers write (JSON), and its compiler.

A condition is a group or a leaf. Groups: ``{"all": [...]}``, ``{"any": [...]}``,
``{"not": {...}}``; at most 8 groups deep and 50 leaves per rule. A leaf is an object
with ``"field"`` and that field's keys; unknown keys are refused.

Shared shapes
* string test: ``"op"``: eq | ne | in | not_in | prefix | suffix | contains | regex |
  exists, ``"value"`` (a string; a list for in/not_in; true/false for exists, default
  true), optional ``"ignore_case": true``. A value that was not reported is "none":
  it fails every op except ne, not_in and ``exists: false``.
* bounds: any of ``gte`` (alias ``min``), ``gt``, ``lte`` (alias ``max``), ``lt``, or
  ``eq`` alone; inclusive unless strict. Counts default to ``min: 1``.
* duration: seconds, or "90s", "10m", "1h", "7d", "2w", "6mo" (30 days); at most 400d.
* window ``within``: a duration (events less than that old), "session", or absent
  (all retained history).

Leaves
* Current page, string test: ``url`` (as reported), ``path`` (no query), ``title``,
  ``category``, ``product``, ``product_name``.
  ``{"field": "path", "op": "prefix", "value": "/cards/apply"}``
* Inflow, string test: ``referrer`` (plus op ``domain``: the host or a subdomain,
  value a string or list), ``utm_source``, ``utm_medium``, ``utm_campaign``,
  ``keyword``, ``landing`` (the landing page's path, no query), ``landing_url`` (as
  reported, query included). ``{"field": "referrer", "op": "domain", "value":
  "facebook.com"}``, ``{"field": "landing", "op": "prefix", "value": "/event/"}``
* ``device``: eq | ne | in | not_in over mobile, tablet, desktop.
* Numbers with bounds: ``price`` (current page), ``page_count`` (this session),
  ``visits``, ``cart_items`` (total quantity), ``cart_value``.
  ``{"field": "visits", "gte": 3}``
* Durations with bounds (no eq): ``dwell`` (on the current page), ``time_on_site``
  (this session), ``cart_idle`` (since the last cart add/remove).
  ``{"field": "dwell", "gte": 60}``, ``{"field": "cart_idle", "gte": "30m"}``
* Booleans, ``"value"`` default true: ``returning`` (false = new visitor),
  ``business_hours_open``, ``counselor_available``. ``{"field": "returning"}``
* ``category_views`` / ``product_views``: views of ``category`` / ``product`` (a string
  or a list, counted together) in ``within``, with bounds.
  ``{"field": "category_views", "category": "bags", "within": "7d", "min": 4}``
* ``searches``: searches in ``within``, optionally only those whose query passes a
  string test, with bounds. ``{"field": "searches", "within": "1d", "op": "contains",
  "value": "dress"}``
* ``cart_contains``: ``product`` and/or ``category`` (string or list).
* ``cart_added``: cart adds in ``within``, optional ``product``/``category``, bounds.
  ``{"field": "cart_added", "within": "1h"}``
* ``purchased``: orders with a line matching the optional ``product``/``category`` in
  ``within``, with bounds. ``{"field": "purchased", "product": "P1", "within": "24h"}``
* ``purchase_total``: sum of the matching lines' amounts in ``within``; bounds required.
  ``{"field": "purchase_total", "within": "6mo", "gte": 1000000}``
* ``offers``: outcomes of past offers in ``within`` ("session" = this session's id),
  optional ``rule`` (id), ``kind``, ``outcome`` (shown | accepted | rejected | ignored,
  or a list), with bounds. ``{"field": "offers", "outcome": "rejected", "within":
  "session"}``
* ``checkout``: ``"op"``: reached | completed (a later step was reached) | on | stuck
  (on it for at least ``"for"``), ``"step"``: a name in the funnel's order or an index.
  ``{"field": "checkout", "op": "stuck", "step": "payment", "for": "2m"}``
* ``crm``: ``"attr"``, ``"op"``, ``"value"``. eq/ne/in/not_in (scalars; booleans only
  equal booleans; an ISO date string equals a date attribute), lt/lte/gt/gte (a number,
  or an ISO date for date attributes), contains (substring), exists (true/false),
  within_next_days / within_last_days (N calendar days in the site's zone, today
  included), before / after (an ISO date, or an integer number of days from today).
  ne and not_in pass when the attribute is missing.
  ``{"field": "crm", "attr": "loan_maturity_date", "op": "within_next_days",
  "value": 7}``
* ``time_of_day``: ``"from"`` and ``"to"`` ("HH:MM" or "HH:MM:SS", "24:00" allowed as
  ``to``) in the site's zone, from inclusive, to exclusive; wraps midnight when
  ``to <= from``. ``{"field": "time_of_day", "from": "21:00", "to": "09:00"}``
* ``weekday``: ``"in"``: names (mon..sun) or numbers (0 = Monday) in the site's zone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from difflib import get_close_matches
from typing import Any

from targeting.engine import (
    conditions_calendar,
    conditions_checkout,
    conditions_crm,
    conditions_history,
    conditions_page,
)
from targeting.engine.conditions_base import All, Condition, Leaf, Not
from targeting.engine.conditions_base import Any as AnyOf
from targeting.engine.conditions_page import Builder
from targeting.engine.conditions_values import RuleError

MAX_DEPTH = 8
MAX_LEAVES = 50

FIELDS: dict[str, Builder] = {
    **conditions_page.BUILDERS,
    **conditions_history.BUILDERS,
    **conditions_crm.BUILDERS,
    **conditions_checkout.BUILDERS,
    **conditions_calendar.BUILDERS,
}
GROUPS = ("all", "any", "not")


def compile_condition(defn: Any, *, path: str = "$") -> Condition:
    """Validate and compile a condition; raises ``RuleError`` naming the JSON path."""
    leaves = [0]
    return _compile(defn, path, 0, leaves)


def _compile(d: Any, path: str, depth: int, leaves: list[int]) -> Condition:
    if not isinstance(d, Mapping):
        raise RuleError(path, f"expected an object, got {d!r}")
    if "field" in d:
        leaves[0] += 1
        if leaves[0] > MAX_LEAVES:
            raise RuleError(path, f"more than {MAX_LEAVES} conditions in one rule")
        field = d["field"]
        builder = FIELDS.get(field) if isinstance(field, str) else None
        if builder is None:
            hint = get_close_matches(str(field), FIELDS, n=1)
            tip = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise RuleError(f"{path}.field", f"unknown field {field!r}{tip}")
        return builder(d, path, field)
    groups = [k for k in GROUPS if k in d]
    if len(groups) != 1 or len(d) != 1:
        keys = ", ".join(map(repr, d)) or "none"
        raise RuleError(
            path,
            f"expected a group ('all', 'any' or 'not') or a leaf with 'field'; "
            f"got keys {keys}",
        )
    kind = groups[0]
    if depth >= MAX_DEPTH:
        raise RuleError(path, f"groups nested more than {MAX_DEPTH} deep")
    inner = d[kind]
    here = f"{path}.{kind}"
    if kind == "not":
        return Not(here, _compile(inner, here, depth + 1, leaves))
    if not isinstance(inner, list):
        raise RuleError(here, f"expected a list of conditions, got {inner!r}")
    if not inner:
        raise RuleError(here, f"empty '{kind}' group")
    items = [
        _compile(c, f"{here}[{i}]", depth + 1, leaves) for i, c in enumerate(inner)
    ]
    return (All if kind == "all" else AnyOf)(here, items)


def iter_leaves(condition: Condition) -> Iterator[Leaf]:
    return condition.leaves()


def condition_triggers(condition: Condition) -> frozenset[str]:
    """The event types that can change the condition's result ("timer" when it
    depends on the clock)."""
    out: set[str] = set()
    for leaf in condition.leaves():
        out |= leaf.triggers
    return frozenset(out)
