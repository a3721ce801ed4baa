"""The snapshot's incremental updates: new objects, shared unchanged parts, sorted
histories with their indexes kept in step."""

from datetime import timedelta

import pytest

from targeting.engine.snapshot import (
    Checkout,
    Context,
    Page,
    Purchase,
    Search,
    Session,
    View,
    Views,
    url_host,
    url_path,
)
from tests.targeting.util import NOW, ago, later, snap


def test_page_view_updates_page_session_and_views_and_shares_the_rest():
    s1 = snap(session=Session(id="s", started_at=NOW))
    s2 = s1.with_page_view(
        Page("https://x.example/bags/1?a=1", later(seconds=5), None, "bags", "B1")
    )
    assert s1.session.page_count == 0 and s1.views.items == ()  # s1 untouched
    assert s2.now == later(seconds=5) and s2.page.entered_at == s2.now
    assert s2.page.path == "/bags/1" and s2.session.page_count == 1
    assert s2.views.by_category == {"bags": (s2.now,)}
    assert s2.views.by_product == {"B1": (s2.now,)}
    assert s2.cart is s1.cart and s2.crm is s1.crm and s2.context is s1.context


def test_views_stay_sorted_when_an_event_arrives_late():
    v = Views().add(View(ago(minutes=1), "a")).add(View(ago(minutes=5), "a"))
    assert [x.at for x in v.items] == [ago(minutes=5), ago(minutes=1)]
    assert v.by_category["a"] == (ago(minutes=5), ago(minutes=1))


def test_cart_add_merge_and_remove():
    s = snap().with_cart(at=NOW, op="add", product="A", category="c", price=10, qty=1)
    s = s.with_cart(at=later(seconds=1), op="add", product="A", qty=2)
    s = s.with_cart(at=later(seconds=2), op="add", product="B", price=5)
    assert [(i.product, i.qty) for i in s.cart.items] == [("A", 3), ("B", 1)]
    assert s.cart.count == 4 and s.cart.value == 35
    s = s.with_cart(at=later(seconds=3), op="remove", product="A", qty=3)
    assert [i.product for i in s.cart.items] == ["B"]
    assert [e.op for e in s.cart.events] == ["add", "add", "add", "remove"]
    assert s.cart.last_activity_at == later(seconds=3)
    with pytest.raises(ValueError):
        s.with_cart(at=NOW, op="empty", product="B")


def test_checkout_steps():
    s = snap(checkout=Checkout(order=("cart", "payment", "complete")))
    s = s.with_checkout(at=NOW, step="cart")
    s = s.with_checkout(at=later(seconds=10), step="payment")
    s = s.with_checkout(at=later(seconds=50), step="payment")  # reported again
    co = s.checkout
    assert co.step_entered_at == later(seconds=10)
    assert co.reached == {"cart", "payment"}
    assert (co.current_index, co.max_index) == (1, 1)


def test_new_session_counts_a_visit_and_restarts_the_funnel():
    s = snap(visits=1, checkout=Checkout(("a", "b"), "b", NOW, frozenset({"a", "b"})))
    s2 = s.with_session(Session(id="s2", started_at=later(days=1)))
    assert (s2.visits, s2.returning) == (2, True)
    assert s2.checkout == Checkout(order=("a", "b"))


def test_crm_context_and_offers():
    s = snap(crm={"a": 1}).with_crm({"b": 2})
    assert s.crm == {"a": 1, "b": 2}
    s = s.with_context(Context(counselor_available=True))
    assert s.context.counselor_available
    s = snap(session=Session(id="s9")).with_offer(
        at=NOW, rule_id=3, kind="chat", outcome="shown"
    )
    assert s.offers[0].session_id == "s9"
    with pytest.raises(ValueError):
        s.with_offer(at=NOW, rule_id=3, kind="chat", outcome="clicked")


def test_pruned_drops_history_past_retention():
    s = snap()
    for days in (40, 20, 1):
        at = NOW - timedelta(days=days)
        s = s.with_page_view(Page("/c/", at, category="c"))
        s = s.with_search(Search(at, "q"))
        s = s.with_cart(at=at, op="add", product="P")
        s = s.with_purchase(Purchase(at, None, None, 1, str(days)))
        s = s.with_offer(at=at, rule_id=1, kind="banner", outcome="shown")
    s = s.at(NOW).pruned(timedelta(days=30))
    assert len(s.views.items) == len(s.views.by_category["c"]) == 2
    assert len(s.searches) == len(s.cart.events) == len(s.purchases) == 2
    assert len(s.offers) == 2
    assert s.cart.count == 3  # the cart's contents are kept


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("/a/b?x=1#y", "/a/b"),
        ("/a#y?x", "/a"),
        ("https://h.example/a/b?x", "/a/b"),
        ("https://h.example", "/"),
        ("//h.example/z", "/z"),
        ("http://[bad", "/"),
    ],
)
def test_url_path(url, path):
    assert url_path(url) == path


def test_url_host():
    assert url_host("https://M.Facebook.com/x") == "m.facebook.com"
    assert url_host("facebook.com/x") == "facebook.com"
    assert url_host(None) == url_host("") == ""


def test_local_time_is_computed_once():
    s = snap()
    assert s.local is s.local
    assert s.local.hour == 12  # Seoul


def test_a_page_view_needs_its_instant():
    with pytest.raises(ValueError, match="entered_at"):
        snap().with_page_view(Page("/x"))
