"""Which rules to evaluate for an event, without looking at every rule.

Rules are bucketed by trigger (event type), then by where they can match:

* a rule's page constraint is its target pages, or else one derived from its
  condition: a leaf every match must satisfy (``path`` eq/in/prefix/regex, ``category``
  eq/in, under ``all``; one per branch under ``any``). Sound: a rule left out could
  not have matched on that page.
* exact paths go in a dict; prefixes and ``^``-anchored regexes by the first path
  segment of their literal prefix (complete segment: one dict lookup; a partial one
  like "/bag": one lookup per prefix of the URL's first segment); categories in a
  dict; the rest (unanchored regexes) are tested on every lookup.
* rules with no page constraint are candidates everywhere.

So the work per event grows with the rules that can match the page, not with all
rules; results are cached per (event type, path, category), and the index is rebuilt,
not mutated, when rules change.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from targeting.engine.conditions_base import All, Condition, Not
from targeting.engine.conditions_page import PageTarget, StringLeaf, TargetPagesLeaf
from targeting.engine.conditions_text import literal_prefix
from targeting.engine.evaluator import Rule, rank_key
from targeting.engine.snapshot import Snapshot, url_path


class CategoryIs(NamedTuple):
    category: str


Alternative = PageTarget | CategoryIs

_UNKNOWN = object()


def page_alternatives(cond: Condition) -> list[Alternative] | None:
    """Pages (or categories) outside of which ``cond`` cannot match; None when it can
    match anywhere."""
    if isinstance(cond, TargetPagesLeaf):
        return list(cond.targets)
    if isinstance(cond, StringLeaf):
        m = cond.match
        if m.ignore_case:
            return None
        if cond.field == "path":
            if m.op == "eq":
                return [PageTarget("exact", m.value)]
            if m.op == "in":
                return [PageTarget("exact", v) for v in sorted(m.value)]
            if m.op == "prefix":
                return [PageTarget("prefix", m.value)]
            if m.op == "regex" and m.regex is not None:
                return [PageTarget("regex", m.value, m.regex)]
        if cond.field == "category":
            if m.op == "eq":
                return [CategoryIs(m.value)]
            if m.op == "in":
                return [CategoryIs(v) for v in sorted(m.value)]
        return None
    if isinstance(cond, Not):
        return None
    if isinstance(cond, All):
        parts = [page_alternatives(c) for c in cond.items]
        if cond.kind == "any":
            if any(p is None for p in parts):
                return None
            return [alt for p in parts if p is not None for alt in p]
        known = [p for p in parts if p is not None]
        return min(known, key=_cost) if known else None
    return None


def _cost(alts: list[Alternative]) -> int:
    """How many rules' worth of work a constraint leaves per lookup (lower: better)."""
    cost = 0
    for alt in alts:
        if isinstance(alt, CategoryIs) or alt.kind == "exact":
            cost += 1
        else:
            key = _segment_key(alt)
            cost += 20 if key is None else 2 if key[0] == "segment" else 4
    return cost


def _segment_key(target: PageTarget) -> tuple[str, str] | None:
    """("segment", first segment) when every matching path has that first segment;
    ("partial", text) when its first segment starts with text; None if unknown."""
    text = target.value if target.kind == "prefix" else literal_prefix(target.value)
    if not text or not text.startswith("/") or len(text) == 1:
        return None
    rest = text[1:]
    slash = rest.find("/")
    if slash >= 0:
        return "segment", rest[:slash]
    return "partial", rest


class _Bucket:
    __slots__ = ("always", "exact", "segment", "partial", "scan", "category", "any_cat")

    def __init__(self) -> None:
        self.always: set[int] = set()
        self.exact: dict[str, set[int]] = {}
        self.segment: dict[str, list[tuple[int, PageTarget]]] = {}
        self.partial: dict[str, list[tuple[int, PageTarget]]] = {}
        self.scan: list[tuple[int, PageTarget]] = []
        self.category: dict[str, set[int]] = {}
        self.any_cat: set[int] = set()

    def add(self, rank: int, alts: list[Alternative] | None) -> None:
        if alts is None:
            self.always.add(rank)
            return
        for alt in alts:
            if isinstance(alt, CategoryIs):
                self.category.setdefault(alt.category, set()).add(rank)
                self.any_cat.add(rank)
            elif alt.kind == "exact":
                self.exact.setdefault(alt.value, set()).add(rank)
            elif (key := _segment_key(alt)) is None:
                if alt.kind == "prefix" and alt.value in ("", "/"):
                    self.always.add(rank)
                else:
                    self.scan.append((rank, alt))
            else:
                table = self.segment if key[0] == "segment" else self.partial
                table.setdefault(key[1], []).append((rank, alt))

    def lookup(self, path: str, category: object) -> set[int]:
        found = set(self.always)
        hit = self.exact.get(path)
        if hit:
            found |= hit
        if path.startswith("/"):
            seg = path[1:].split("/", 1)[0]
            for rank, t in self.segment.get(seg, ()):
                if rank not in found and t.matches(path):
                    found.add(rank)
            if self.partial:
                for i in range(1, len(seg) + 1):
                    for rank, t in self.partial.get(seg[:i], ()):
                        if rank not in found and t.matches(path):
                            found.add(rank)
        for rank, t in self.scan:
            if rank not in found and t.matches(path):
                found.add(rank)
        if category is _UNKNOWN:
            found |= self.any_cat
        elif category:
            hit = self.category.get(category)  # type: ignore[call-overload]
            if hit:
                found |= hit
        return found


class RuleIndex:
    """Immutable index over compiled rules; build a new one when rules change."""

    def __init__(self, rules: Iterable[Rule], *, cache_size: int = 4096) -> None:
        self.rules: tuple[Rule, ...] = tuple(sorted(rules, key=rank_key))
        self._buckets: dict[str, _Bucket] = {}
        for rank, rule in enumerate(self.rules):
            alts = page_alternatives(rule.check)
            for event_type in rule.triggers:
                self._buckets.setdefault(event_type, _Bucket()).add(rank, alts)
        self._cache: dict[tuple[str, str, object], tuple[Rule, ...]] = {}
        self._cache_size = cache_size

    def __len__(self) -> int:
        return len(self.rules)

    def candidates(
        self, event_type: str, url: str, category: object = _UNKNOWN
    ) -> tuple[Rule, ...]:
        """Rules to evaluate for an event on ``url``, ranked (priority, then id).
        Pass the page's ``category`` (None if it has none) to narrow further; when it
        is not passed, category-bound rules are all included."""
        path = url_path(url)
        key = (event_type, path, category)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        bucket = self._buckets.get(event_type)
        if bucket is None:
            out: tuple[Rule, ...] = ()
        else:
            rules = self.rules
            out = tuple(rules[r] for r in sorted(bucket.lookup(path, category)))
        if len(self._cache) >= self._cache_size:
            self._cache.clear()
        self._cache[key] = out
        return out

    def candidates_for(self, event_type: str, snapshot: Snapshot) -> tuple[Rule, ...]:
        """``candidates`` for the snapshot's current page and category."""
        page = snapshot.page
        return self.candidates(event_type, page.path, page.category)
