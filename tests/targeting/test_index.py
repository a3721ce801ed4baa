"""RuleIndex: the rules evaluated per event are few, and never miss a match."""

import random

import pytest

from targeting.engine.evaluator import compile_rule, matches
from targeting.engine.index import RuleIndex
from targeting.engine.snapshot import Cart, CartItem, Page
from tests.targeting.util import snap

YES = {"field": "returning"}


def rule(id, condition=YES, target_pages=(), priority=0):
    return compile_rule(
        id=id, condition=condition, target_pages=target_pages, priority=priority
    )


def ids(rules):
    return [r.id for r in rules]


def test_bucketed_by_event_type():
    idx = RuleIndex(
        [
            rule(1, {"field": "cart_items", "gte": 1}),
            rule(2, {"field": "dwell", "gte": 60}),
            rule(3, {"field": "crm", "attr": "vip", "op": "eq", "value": True}),
            rule(4, YES),
        ]
    )
    assert ids(idx.candidates("cart", "/x")) == [1]
    assert ids(idx.candidates("timer", "/x")) == [2]
    assert ids(idx.candidates("identify", "/x")) == [3]
    assert ids(idx.candidates("page_view", "/x")) == [1, 2, 3, 4]  # all can show then
    assert idx.candidates("checkout", "/x") == ()
    assert idx.candidates("no-such-event", "/x") == ()


@pytest.mark.parametrize(
    ("targets", "hits", "misses"),
    [
        (
            ["/bags/"],
            ["/bags/", "/bags/tote?x=1"],
            ["/bags", "/bagsale", "/", "/shoes/"],
        ),
        (["/bag"], ["/bag", "/bags/1", "/bagsale"], ["/ba", "/shoes/bag"]),
        ([{"exact": "/cart"}], ["/cart", "/cart?step=1"], ["/cart/", "/carts"]),
        ([{"regex": r"^/p/\d+$"}], ["/p/12"], ["/p/x", "/p/12/reviews", "/q/12"]),
        ([{"regex": "sale"}], ["/bags/sale", "/sale"], ["/bags/"]),
        ([{"prefix": "/"}], ["/", "/anything"], []),
        (["/a/", {"exact": "/b"}], ["/a/1", "/b"], ["/c"]),
    ],
)
def test_target_pages(targets, hits, misses):
    idx = RuleIndex([rule(1, target_pages=targets), rule(2, target_pages=["/zzz/"])])
    for url in hits:
        assert ids(idx.candidates("page_view", url)) == [1], url
        assert ids(idx.candidates("page_view", "https://shop.example" + url)) == [1]
    for url in misses:
        assert ids(idx.candidates("page_view", url)) == [], url


def test_page_constraints_derived_from_the_condition():
    idx = RuleIndex(
        [
            rule(
                1, {"all": [YES, {"field": "path", "op": "prefix", "value": "/bags/"}]}
            ),
            rule(2, {"field": "path", "op": "in", "value": ["/cart", "/checkout"]}),
            rule(3, {"field": "category", "op": "eq", "value": "bags"}),
            rule(
                4,
                {
                    "any": [
                        {"field": "path", "op": "regex", "value": "^/sale/"},
                        {"field": "category", "op": "in", "value": ["hats", "caps"]},
                    ]
                },
            ),
            # Not narrowable: anywhere.
            rule(5, {"not": {"field": "path", "op": "prefix", "value": "/bags/"}}),
            rule(
                6, {"field": "path", "op": "prefix", "value": "/x", "ignore_case": True}
            ),
            rule(7, {"any": [YES, {"field": "path", "op": "eq", "value": "/y"}]}),
        ]
    )
    everywhere = [5, 6, 7]
    assert ids(idx.candidates("page_view", "/bags/1", None)) == [1, *everywhere]
    assert ids(idx.candidates("page_view", "/bags/1", "bags")) == [1, 3, *everywhere]
    assert ids(idx.candidates("page_view", "/checkout", None)) == [2, *everywhere]
    assert ids(idx.candidates("page_view", "/sale/9", None)) == [4, *everywhere]
    assert ids(idx.candidates("page_view", "/p/1", "caps")) == [4, *everywhere]
    # Category unknown to the caller: every category-bound rule is included.
    assert ids(idx.candidates("page_view", "/p/1")) == [3, 4, *everywhere]


def test_candidates_are_ranked_and_cached():
    idx = RuleIndex([rule(3, priority=1), rule(1, priority=1), rule(2, priority=9)])
    first = idx.candidates("page_view", "/")
    assert ids(first) == [2, 1, 3]
    assert idx.candidates("page_view", "/") is first


def test_cache_is_bounded():
    idx = RuleIndex([rule(1)], cache_size=10)
    for i in range(25):
        idx.candidates("page_view", f"/p/{i}")
    assert len(idx._cache) <= 10


def test_candidates_for_uses_the_snapshots_page():
    idx = RuleIndex(
        [
            rule(1, {"field": "category", "op": "eq", "value": "bags"}),
            rule(2, target_pages=["/c/"]),
        ]
    )
    s = snap(page=Page(url="/c/1?q", category="shoes"))
    assert ids(idx.candidates_for("page_view", s)) == [2]


# --- soundness: the index never drops a rule that matches -----------------------------

PATHS = ["/", "/bags/", "/bags/tote", "/bag", "/shoes/1", "/sale/x", "/cart", "/p/7"]
CATEGORIES = [None, "bags", "shoes", "hats"]


def random_leaf(rng):
    return rng.choice(
        [
            lambda: {"field": "path", "op": "prefix", "value": rng.choice(PATHS)},
            lambda: {"field": "path", "op": "eq", "value": rng.choice(PATHS)},
            lambda: {
                "field": "path",
                "op": "regex",
                "value": rng.choice(["^/ba", "^/p/\\d", "sale", "^/$"]),
            },
            lambda: {
                "field": "category",
                "op": "eq",
                "value": rng.choice(["bags", "shoes", "hats"]),
            },
            lambda: {"field": "category", "op": "in", "value": ["bags", "hats"]},
            lambda: {"field": "cart_items", "gte": 1},
            lambda: {"field": "returning", "value": rng.random() < 0.5},
        ]
    )()


def random_condition(rng, depth=0):
    if depth >= 3 or rng.random() < 0.4:
        return random_leaf(rng)
    kind = rng.choice(["all", "any", "not"])
    if kind == "not":
        return {"not": random_condition(rng, depth + 1)}
    return {kind: [random_condition(rng, depth + 1) for _ in range(rng.randint(1, 3))]}


def test_index_never_misses_a_matching_rule():
    rng = random.Random(3)
    rules = []
    for i in range(400):
        targets = rng.choice([(), (), ("/bags/",), ({"regex": "^/p/"},), ("/ba",)])
        rules.append(
            rule(i, random_condition(rng), targets, priority=rng.randint(0, 3))
        )
    idx = RuleIndex(rules)
    for path in PATHS:
        for category in CATEGORIES:
            for returning in (False, True):
                s = snap(
                    returning=returning,
                    page=Page(url=path, category=category),
                    cart=Cart(items=(CartItem("A"),)),
                )
                cands = set(ids(idx.candidates_for("page_view", s)))
                cands_any_cat = set(ids(idx.candidates("page_view", path)))
                for r in rules:
                    if matches(r, s):
                        assert r.id in cands and r.id in cands_any_cat, (r.id, path)
                for event in ("cart", "purchase"):
                    for r in idx.candidates(event, path, category):
                        assert event in r.triggers


# --- scale: per-event work grows much slower than the rule count ----------------


def spread_rules(n, categories=100):
    """n rules of four kinds over categories and their pages."""
    out = []
    for i in range(n):
        c = f"c{i % categories}"
        kind = (i // categories) % 4
        if kind == 0:
            cond = {
                "all": [
                    {"field": "category", "op": "eq", "value": c},
                    {"field": "dwell", "gte": 30},
                ]
            }
            out.append(rule(i, cond))
        elif kind == 1:
            cond = {"field": "category_views", "category": c, "within": "7d", "min": 3}
            out.append(rule(i, cond, target_pages=[f"/{c}/"]))
        elif kind == 2:
            cond = {"all": [{"field": "product", "op": "eq", "value": f"P{i}"}, YES]}
            out.append(rule(i, cond, target_pages=[{"exact": f"/p/P{i}"}]))
        else:
            out.append(
                rule(
                    i,
                    {"field": "cart_items", "gte": 1},
                    target_pages=[{"regex": f"^/{c}/cart$"}],
                )
            )
    # A few site-wide rules (a coupon on any page, a VIP banner).
    out.append(rule(n, {"field": "crm", "attr": "vip", "op": "eq", "value": True}))
    out.append(rule(n + 1, {"field": "purchased", "within": "1d"}))
    return out


def test_a_page_view_evaluates_a_small_fraction_of_1000_rules():
    idx = RuleIndex(spread_rules(1000))
    page_view = idx.candidates("page_view", "/c7/shoe-1", "c7")
    # c7's category rules (3) and page rules (3), and the two site-wide ones.
    assert len(page_view) == 8  # 0.8% of the rules
    assert {r.id for r in page_view} >= {1000, 1001}
    product = idx.candidates("page_view", "/p/P207", None)
    assert ids(product) == [207, 1000, 1001]
    cart = idx.candidates("cart", "/c3/cart", "c3")
    assert len(cart) == 2 and all("cart" in r.triggers for r in cart)


def test_candidate_count_does_not_grow_with_the_rule_count():
    # A shop with more rules spreads them over more categories and pages.
    counts = []
    for n in (10, 100, 1000):
        idx = RuleIndex(spread_rules(n, categories=max(1, n // 8)))
        counts.append(len(idx.candidates("page_view", "/c0/x", "c0")))
    # About 8 rules per category, a few of them for this page, plus the site-wide two.
    assert all(5 <= c <= 8 for c in counts), counts
