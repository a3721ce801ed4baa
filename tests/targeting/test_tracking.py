"""Validation of tracking events and how they move the snapshot (pure)."""

from datetime import UTC, datetime, timedelta

import pytest

from targeting.engine.snapshot import Snapshot
from targeting.tracking import BadEvent, TrackedEvent, apply, parse_event, parse_events

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
S = "sess-0001"


def ev(**raw):
    return parse_event({"session": S, **raw}, now=NOW)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"kind": "teleport"}, "Unknown event kind"),
        ({"kind": "page_view"}, "'url' is required"),
        ({"kind": "page_view", "url": "javascript:alert(1)"}, r"http\(s\) URL"),
        ({"kind": "page_view", "url": "https://a.kr/" + "x" * 600}, "longer than 500"),
        ({"kind": "cart_add", "product": {"name": "no id"}}, "'id' is required"),
        ({"kind": "cart_add", "product": {"id": "p"}, "qty": 0}, "1 to 999"),
        ({"kind": "purchase", "order": "o", "amount": -1}, "out of range"),
        ({"kind": "purchase", "order": "o", "amount": float("nan")}, "out of range"),
        ({"kind": "search", "query": 5}, "must be a string"),
        ({"kind": "checkout"}, "'step' is required"),
        ({"kind": "page_view", "url": "https://a.kr/", "session": "short"}, "8 to 64"),
    ],
)
def test_malformed_events_are_refused_with_a_reason(raw, message):
    with pytest.raises(BadEvent, match=message):
        parse_event({"session": S, **raw} if "session" not in raw else raw, now=NOW)


def test_a_frame_keeps_good_events_and_names_bad_ones():
    good, bad = parse_events(
        [
            {"kind": "search", "session": S, "query": "토트백"},
            {"kind": "nope"},
            {"kind": "checkout", "session": S, "step": "payment"},
        ],
        now=NOW,
    )
    assert [(i, e.kind) for i, e in good] == [(0, "search"), (2, "checkout")]
    assert [i for i, _ in bad] == [1]
    with pytest.raises(BadEvent):
        parse_events([{"kind": "search"}] * 21, now=NOW)


def test_identify_keeps_crm_values_simple():
    event = parse_event(
        {"kind": "identify", "user_id": "u1", "ts": 1, "sig": "ab",
         "attrs": {"vip": True, "spend_6m": 4_500_000,
                   "loan_maturity_date": "2026-11-28"}},
        now=NOW,
    )  # fmt: skip
    assert event.data["attrs"]["vip"] is True
    with pytest.raises(BadEvent, match="CRM values"):
        parse_event(
            {"kind": "identify", "user_id": "u1", "ts": 1, "sig": "ab",
             "attrs": {"nested": {"a": 1}}},
            now=NOW,
        )  # fmt: skip


def test_events_move_the_snapshot():
    snapshot = Snapshot(now=NOW)
    steps = [
        ev(kind="session", referrer="https://www.facebook.com/", utm_source="facebook",
           device="mobile", landing="https://shop.kr/dresses"),
        ev(kind="page_view", url="https://shop.kr/bags/tote", category="bags",
           product={"id": "tote", "name": "Tote", "price": 129000}),
        ev(kind="cart_add", product={"id": "tote", "category": "bags", "price": 129000},
           qty=2),
        ev(kind="checkout", step="payment"),
        ev(kind="purchase", order="O-1", amount=258000,
           items=[{"id": "tote", "category": "bags", "price": 129000, "qty": 2}]),
    ]  # fmt: skip
    for step in steps:
        snapshot = apply(snapshot, step)
    assert snapshot.session.inflow.utm_source == "facebook"
    assert snapshot.session.device == "mobile"
    assert (snapshot.page.category, snapshot.page.product) == ("bags", "tote")
    assert snapshot.views.by_category["bags"] == (NOW,)
    assert snapshot.purchases[0].amount == 258000
    assert snapshot.cart.count == 0  # the order emptied the cart
    assert snapshot.checkout.step == "payment"


def test_a_known_session_does_not_start_a_new_visit():
    start = ev(kind="session")
    snapshot = apply(Snapshot(now=NOW), start)
    again = apply(snapshot, TrackedEvent("session", NOW + timedelta(1), S, "", {}))
    assert again.visits == snapshot.visits
