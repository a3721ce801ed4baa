"""Every leaf type and op of the condition language, pass and fail, with edges.

Pure: snapshots are built by hand around a fixed NOW; no database, no clock.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from targeting.engine.snapshot import (
    Cart,
    CartEvent,
    CartItem,
    Checkout,
    Context,
    Inflow,
    Offer,
    Page,
    Purchase,
    Search,
    Session,
    View,
    Views,
)
from tests.targeting.util import EPS, NOW, SEOUL, ago, check, later, passes, snap

PAGE = Page(
    url="https://shop.example/bags/tote-1?color=red#top",
    entered_at=ago(seconds=30),
    title="Canvas Tote",
    category="bags",
    product="TOTE-1",
    product_name="Canvas Tote Bag",
    price=49000,
)
SESSION = Session(
    id="s1",
    started_at=ago(minutes=10),
    page_count=5,
    inflow=Inflow(
        referrer="https://m.facebook.com/story?id=1",
        utm_source="Facebook",
        utm_medium="social",
        utm_campaign="spring-sale",
        keyword="canvas bag",
        landing="https://shop.example/landing/spring?utm_source=fb",
    ),
    device="mobile",
)
BASE = snap(page=PAGE, session=SESSION, visits=3, returning=True)


# --- strings: page and inflow ----------------------------------------------------


@pytest.mark.parametrize(
    ("defn", "expected"),
    [
        ({"field": "url", "op": "eq", "value": PAGE.url}, True),
        ({"field": "url", "op": "eq", "value": "https://shop.example/bags"}, False),
        ({"field": "url", "op": "prefix", "value": "https://shop.example/bags/"}, True),
        (
            {"field": "url", "op": "prefix", "value": "https://shop.example/shoes"},
            False,
        ),
        ({"field": "url", "op": "contains", "value": "color=red"}, True),
        ({"field": "url", "op": "contains", "value": "color=blue"}, False),
        ({"field": "url", "op": "regex", "value": r"/bags/[a-z]+-\d+"}, True),
        ({"field": "url", "op": "regex", "value": r"^/bags/"}, False),
        ({"field": "url", "op": "suffix", "value": "#top"}, True),
        ({"field": "path", "op": "eq", "value": "/bags/tote-1"}, True),
        ({"field": "path", "op": "regex", "value": r"^/bags/[^/]+$"}, True),
        ({"field": "path", "op": "prefix", "value": "/BAGS"}, False),
        (
            {"field": "path", "op": "prefix", "value": "/BAGS", "ignore_case": True},
            True,
        ),
        ({"field": "path", "op": "in", "value": ["/a", "/bags/tote-1"]}, True),
        ({"field": "path", "op": "not_in", "value": ["/a", "/bags/tote-1"]}, False),
        (
            {"field": "title", "op": "contains", "value": "tote", "ignore_case": True},
            True,
        ),
        ({"field": "title", "op": "contains", "value": "tote"}, False),
        ({"field": "category", "op": "eq", "value": "bags"}, True),
        ({"field": "category", "op": "ne", "value": "bags"}, False),
        ({"field": "category", "op": "in", "value": ["shoes", "bags"]}, True),
        ({"field": "category", "op": "not_in", "value": ["shoes"]}, True),
        ({"field": "product", "op": "eq", "value": "TOTE-1"}, True),
        ({"field": "product", "op": "exists"}, True),
        ({"field": "product", "op": "exists", "value": False}, False),
        ({"field": "product_name", "op": "suffix", "value": "Bag"}, True),
        ({"field": "referrer", "op": "domain", "value": "facebook.com"}, True),
        (
            {"field": "referrer", "op": "domain", "value": ["FB.com", "facebook.com"]},
            True,
        ),
        ({"field": "referrer", "op": "domain", "value": "book.com"}, False),
        ({"field": "referrer", "op": "contains", "value": "story"}, True),
        ({"field": "utm_source", "op": "eq", "value": "facebook"}, False),
        (
            {
                "field": "utm_source",
                "op": "eq",
                "value": "facebook",
                "ignore_case": True,
            },
            True,
        ),
        ({"field": "utm_medium", "op": "in", "value": ["social", "cpc"]}, True),
        ({"field": "utm_campaign", "op": "prefix", "value": "spring"}, True),
        ({"field": "keyword", "op": "regex", "value": r"\bbag\b"}, True),
        ({"field": "keyword", "op": "regex", "value": r"^bag"}, False),
        ({"field": "landing", "op": "contains", "value": "/landing/"}, True),
        # Issue 8 #12: `landing` is the path, as documented; `landing_url` the URL.
        ({"field": "landing", "op": "prefix", "value": "/landing/"}, True),
        ({"field": "landing", "op": "eq", "value": "/landing/spring"}, True),
        ({"field": "landing", "op": "prefix", "value": "https://"}, False),
        (
            {"field": "landing_url", "op": "prefix", "value": "https://shop.example/"},
            True,
        ),
        ({"field": "landing_url", "op": "contains", "value": "utm_source="}, True),
        ({"field": "device", "op": "eq", "value": "mobile"}, True),
        ({"field": "device", "op": "in", "value": ["tablet", "desktop"]}, False),
        ({"field": "device", "op": "ne", "value": "desktop"}, True),
    ],
)
def test_string_leaves(defn, expected):
    assert passes(defn, BASE) is expected


@pytest.mark.parametrize(
    ("defn", "expected"),
    [
        ({"field": "category", "op": "eq", "value": "bags"}, False),
        ({"field": "category", "op": "ne", "value": "bags"}, True),
        ({"field": "category", "op": "not_in", "value": ["bags"]}, True),
        ({"field": "category", "op": "prefix", "value": "b"}, False),
        ({"field": "category", "op": "regex", "value": ".*"}, False),
        ({"field": "category", "op": "exists", "value": False}, True),
        ({"field": "referrer", "op": "domain", "value": "facebook.com"}, False),
        ({"field": "utm_source", "op": "eq", "value": "x", "ignore_case": True}, False),
    ],
)
def test_unreported_strings_fail_all_but_negative_ops(defn, expected):
    assert passes(defn, snap(page=Page(url="/", category=""))) is expected


def test_path_ignores_query_and_fragment_and_host():
    s = snap(page=Page(url="/cards/apply?step=2#form"))
    assert s.page.path == "/cards/apply"
    assert passes({"field": "path", "op": "eq", "value": "/cards/apply"}, s)


# --- numbers, durations, booleans ------------------------------------------------


@pytest.mark.parametrize(
    ("defn", "expected"),
    [
        ({"field": "price", "gte": 49000}, True),
        ({"field": "price", "gt": 49000}, False),
        ({"field": "price", "lt": 50000, "gte": 10000}, True),
        ({"field": "price", "eq": 49000}, True),
        ({"field": "page_count", "min": 5, "max": 5}, True),
        ({"field": "page_count", "min": 6}, False),
        ({"field": "visits", "gte": 3}, True),
        ({"field": "visits", "lte": 2}, False),
    ],
)
def test_number_leaves(defn, expected):
    assert passes(defn, BASE) is expected


def test_missing_number_fails():
    assert not passes({"field": "price", "gte": 0}, snap())


def test_cart_totals():
    cart = Cart(items=(CartItem("A", "bags", 10.0, 2), CartItem("B", "shoes", 5.5, 1)))
    s = snap(cart=cart)
    assert cart.count == 3 and cart.value == 25.5
    assert passes({"field": "cart_items", "gte": 3}, s)
    assert not passes({"field": "cart_items", "gt": 3}, s)
    assert passes({"field": "cart_value", "gte": 25.5}, s)
    assert not passes({"field": "cart_value", "gte": 25.6}, s)
    assert passes({"field": "cart_items", "eq": 0}, snap())


@pytest.mark.parametrize(
    ("seconds", "expected"), [(59, False), (60, True), (61, True), (59.999999, False)]
)
def test_dwell_threshold_is_inclusive(seconds, expected):
    s = snap(page=Page(url="/", entered_at=NOW - timedelta(seconds=seconds)))
    assert passes({"field": "dwell", "gte": 60}, s) is expected
    assert passes({"field": "dwell", "gte": "1m"}, s) is expected


def test_dwell_upper_bounds():
    s = snap(page=Page(url="/", entered_at=ago(seconds=60)))
    assert passes({"field": "dwell", "lte": 60}, s)
    assert not passes({"field": "dwell", "lt": 60}, s)
    assert not passes({"field": "dwell", "gt": 60}, s)


def test_time_on_site_and_unknown_start():
    assert passes({"field": "time_on_site", "gte": "10m"}, BASE)
    assert not passes({"field": "time_on_site", "gte": "11m"}, BASE)
    assert not passes({"field": "time_on_site", "lt": "1h"}, snap())  # no session


def test_cart_idle():
    cart = Cart(events=(CartEvent(ago(minutes=45), "A", "add"),))
    assert passes({"field": "cart_idle", "gte": "30m"}, snap(cart=cart))
    assert not passes({"field": "cart_idle", "gte": "1h"}, snap(cart=cart))
    assert not passes({"field": "cart_idle", "gte": 0}, snap())  # no activity


def test_booleans():
    assert passes({"field": "returning"}, BASE)
    assert not passes({"field": "returning", "value": False}, BASE)
    assert passes({"field": "returning", "value": False}, snap())  # new visitor
    ctx = Context(business_hours_open=True, counselor_available=True)
    assert passes({"field": "counselor_available"}, snap(context=ctx))
    assert not passes({"field": "counselor_available"}, snap())
    assert passes({"field": "business_hours_open"}, snap(context=ctx))
    assert not passes(
        {"field": "business_hours_open", "value": False}, snap(context=ctx)
    )


def test_business_hours_flip_at_change_instant():
    ctx = Context(business_hours_open=True, hours_change_at=later(hours=6))
    s = snap(context=ctx)
    assert passes({"field": "business_hours_open"}, s)
    assert passes({"field": "business_hours_open"}, s.at(later(hours=6) - EPS))
    assert not passes({"field": "business_hours_open"}, s.at(later(hours=6)))


# --- views -----------------------------------------------------------------------


def views(*specs):
    """(age, category, product) triples to a Views history."""
    return Views.of(View(NOW - age, cat, prod) for age, cat, prod in specs)


DAY = timedelta(days=1)


@pytest.mark.parametrize(
    ("count", "expected"), [(2, False), (3, True), (4, True), (5, True), (6, False)]
)
def test_product_views_count_range_is_inclusive(count, expected):
    v = views(*[(DAY * i, None, "MAIN-001") for i in range(count)])
    defn = {
        "field": "product_views",
        "product": "MAIN-001",
        "within": "7d",
        "min": 3,
        "max": 5,
    }
    assert passes(defn, snap(views=v)) is expected


def test_views_window_boundary_is_strict_at_the_far_end():
    defn = {"field": "category_views", "category": "bags", "within": "7d", "min": 1}
    assert passes(defn, snap(views=views((7 * DAY - EPS, "bags", None))))
    assert not passes(defn, snap(views=views((7 * DAY, "bags", None))))


def test_category_views_count_only_that_category_and_sum_a_list():
    v = views(
        (DAY, "bags", None), (DAY, "bags", None), (DAY, "shoes", None), (DAY, None, "P")
    )
    s = snap(views=v)
    assert passes({"field": "category_views", "category": "bags", "eq": 2}, s)
    assert passes(
        {"field": "category_views", "category": ["bags", "shoes"], "eq": 3}, s
    )
    assert not passes({"field": "category_views", "category": "hats"}, s)  # min 1
    assert passes({"field": "category_views", "category": "hats", "max": 0}, s)


def test_session_window_counts_since_session_start():
    v = views((timedelta(hours=2), "bags", None), (timedelta(minutes=5), "bags", None))
    s = snap(views=v, session=SESSION)  # session started 10 minutes ago
    defn = {"field": "category_views", "category": "bags", "within": "session"}
    assert passes({**defn, "eq": 1}, s)
    assert passes({"field": "category_views", "category": "bags", "eq": 2}, s)  # all


# --- searches, cart, purchases, offers ----------------------------------------------


def test_searches():
    s = snap(
        searches=(
            Search(ago(days=2), "red dress"),
            Search(ago(hours=1), "Summer Dress"),
            Search(ago(minutes=1), "bag"),
        )
    )
    assert passes({"field": "searches", "within": "1d", "min": 2}, s)
    assert not passes({"field": "searches", "within": "1d", "min": 3}, s)
    dress = {"field": "searches", "op": "contains", "value": "dress"}
    assert passes({**dress, "within": "1d", "ignore_case": True}, s)
    assert not passes({**dress, "within": "1d"}, s)
    assert passes({**dress, "eq": 1}, s)


CART = Cart(
    items=(CartItem("TOTE-1", "bags", 49000, 1, ago(minutes=20)),),
    events=(
        CartEvent(ago(hours=3), "HAT-9", "add", "hats"),
        CartEvent(ago(hours=2), "HAT-9", "remove", "hats"),
        CartEvent(ago(minutes=20), "TOTE-1", "add", "bags"),
    ),
)


def test_cart_contains():
    s = snap(cart=CART)
    assert passes({"field": "cart_contains", "product": "TOTE-1"}, s)
    assert passes({"field": "cart_contains", "category": ["shoes", "bags"]}, s)
    assert not passes({"field": "cart_contains", "product": "HAT-9"}, s)
    assert not passes(
        {"field": "cart_contains", "product": "TOTE-1", "category": "hats"}, s
    )
    assert not passes({"field": "cart_contains", "category": "bags"}, snap())


def test_cart_added_counts_adds_in_window():
    s = snap(cart=CART)
    assert passes({"field": "cart_added", "within": "1h"}, s)
    assert passes({"field": "cart_added", "within": "1h", "eq": 1}, s)  # not removes
    assert passes({"field": "cart_added", "within": "4h", "eq": 2}, s)
    assert not passes({"field": "cart_added", "within": "1h", "category": "hats"}, s)
    assert passes({"field": "cart_added", "within": "4h", "product": "HAT-9"}, s)
    assert not passes({"field": "cart_added", "within": "19m"}, s)


PURCHASES = (
    Purchase(ago(days=200), "OLD", "misc", 5_000_000, "o0"),
    Purchase(ago(days=30), "MAIN-001", "main", 1_000_000, "o1"),
    Purchase(ago(hours=30), "TOTE-1", "bags", 49_000, "o2"),
    Purchase(ago(hours=2), "PROMO-42", "promo", 10_000, "o3"),
    Purchase(ago(hours=2), "TOTE-1", "bags", 49_000, "o3"),
)


def test_purchased_within_window_and_filters():
    s = snap(purchases=PURCHASES)
    assert passes({"field": "purchased", "product": "PROMO-42", "within": "24h"}, s)
    assert not passes({"field": "purchased", "product": "MAIN-001", "within": "7d"}, s)
    assert passes({"field": "purchased", "product": "MAIN-001", "within": "31d"}, s)
    assert passes(
        {"field": "purchased", "category": "bags", "within": "2d", "eq": 2}, s
    )
    # Two lines of order o3 are one order.
    assert passes({"field": "purchased", "within": "24h", "eq": 1}, s)
    assert passes({"field": "purchased", "eq": 5 - 1}, s)  # all history, 4 orders
    assert not passes({"field": "purchased", "within": "1h"}, s)


def test_purchase_total():
    s = snap(purchases=PURCHASES)
    total_6mo = 1_000_000 + 49_000 + 10_000 + 49_000
    assert passes({"field": "purchase_total", "within": "6mo", "eq": total_6mo}, s)
    assert passes({"field": "purchase_total", "within": "6mo", "gte": 1_000_000}, s)
    assert not passes({"field": "purchase_total", "within": "6mo", "gte": 3_000_000}, s)
    assert passes({"field": "purchase_total", "gte": 3_000_000}, s)  # all history
    bags = {"field": "purchase_total", "category": "bags", "within": "7d"}
    assert passes({**bags, "eq": 98_000}, s)


def test_offers():
    s = snap(
        session=Session(id="s2", started_at=ago(minutes=5)),
        offers=(
            Offer(ago(days=1), 7, "chat", "rejected", "s1"),
            Offer(ago(minutes=3), 7, "chat", "shown", "s2"),
            Offer(ago(minutes=2), 7, "chat", "rejected", "s2"),
            Offer(ago(minutes=1), 9, "banner", "accepted", "s2"),
        ),
    )
    rejected = {"field": "offers", "outcome": "rejected"}
    assert passes({**rejected, "eq": 2}, s)
    assert passes({**rejected, "within": "session", "eq": 1}, s)
    assert passes({**rejected, "within": "1h", "rule": 7, "eq": 1}, s)
    assert not passes({**rejected, "rule": 9}, s)
    assert passes({"field": "offers", "kind": "banner", "outcome": ["accepted"]}, s)
    assert passes({"field": "offers", "within": "session", "eq": 3}, s)


# --- checkout ----------------------------------------------------------------------

FUNNEL = ("cart", "shipping", "payment", "complete")


def on_step(step, *, for_, reached=()):
    co = Checkout(FUNNEL, step, NOW - for_, frozenset(reached))
    return snap(checkout=co)


def test_checkout_reached_completed_on():
    s = on_step("payment", for_=timedelta(minutes=1), reached={"cart", "shipping"})
    assert passes({"field": "checkout", "op": "reached", "step": "shipping"}, s)
    assert passes({"field": "checkout", "op": "reached", "step": "payment"}, s)
    assert not passes({"field": "checkout", "op": "reached", "step": "complete"}, s)
    assert passes({"field": "checkout", "op": "completed", "step": "shipping"}, s)
    assert not passes({"field": "checkout", "op": "completed", "step": "payment"}, s)
    assert passes({"field": "checkout", "op": "on", "step": "payment"}, s)
    assert passes({"field": "checkout", "op": "on", "step": 2}, s)  # by index
    assert not passes({"field": "checkout", "op": "on", "step": "cart"}, s)
    assert not passes({"field": "checkout", "op": "reached", "step": "cart"}, snap())


def test_checkout_step_outside_the_order_uses_the_reached_set():
    co = Checkout((), "identity", ago(minutes=1), frozenset({"identity"}))
    s = snap(checkout=co)
    assert passes({"field": "checkout", "op": "reached", "step": "identity"}, s)
    assert not passes({"field": "checkout", "op": "completed", "step": "identity"}, s)


@pytest.mark.parametrize(
    ("for_", "expected"),
    [(timedelta(minutes=2) - EPS, False), (timedelta(minutes=2), True)],
)
def test_checkout_stuck_threshold(for_, expected):
    defn = {"field": "checkout", "op": "stuck", "step": "payment", "for": "2m"}
    assert passes(defn, on_step("payment", for_=for_)) is expected
    assert not passes(defn, on_step("shipping", for_=timedelta(hours=1)))


# --- CRM ---------------------------------------------------------------------------

CRM = {
    "segment": "gold",
    "vip": True,
    "spend_6m": 3_500_000,
    "score": 1,
    "card_holder": False,
    "loan_maturity_date": date(2025, 3, 21),  # 7 days after Friday 2025-03-14
    "signup": "2024-01-05",
    "last_login": datetime(2025, 3, 13, 16, 30, tzinfo=UTC),  # 14th 01:30 in Seoul
    "note": None,
}


def crm(op, value=None, attr="segment", **extra):
    d = {"field": "crm", "attr": attr, "op": op, **extra}
    if value is not None:
        d["value"] = value
    return d


@pytest.mark.parametrize(
    ("defn", "expected"),
    [
        (crm("eq", "gold"), True),
        (crm("eq", "GOLD"), False),
        (crm("ne", "silver"), True),
        (crm("ne", "x", attr="missing"), True),
        (crm("eq", True, attr="vip"), True),
        (crm("eq", 1, attr="vip"), False),  # booleans only equal booleans
        (crm("eq", True, attr="score"), False),
        (crm("in", ["silver", "gold"]), True),
        (crm("not_in", ["silver", "gold"]), False),
        (crm("not_in", ["silver"], attr="missing"), True),
        (crm("gte", 3_000_000, attr="spend_6m"), True),
        (crm("gt", 3_500_000, attr="spend_6m"), False),
        (crm("lte", 3_500_000, attr="spend_6m"), True),
        (crm("lt", 4_000_000, attr="spend_6m"), True),
        (crm("gt", 0), False),  # a string is not a number
        (crm("gte", 0, attr="missing"), False),
        (crm("contains", "ol"), True),
        (crm("contains", "x"), False),
        (crm("exists"), True),
        (crm("exists", attr="note"), False),  # null counts as absent
        (crm("exists", False, attr="missing"), True),
        (crm("eq", False, attr="card_holder"), True),
        (crm("ne", True, attr="card_holder"), True),
        (crm("eq", "2024-01-05", attr="signup"), True),
        (crm("eq", "2025-03-21", attr="loan_maturity_date"), True),
        (crm("gte", "2025-03-21", attr="loan_maturity_date"), True),
        (crm("lt", "2025-03-21", attr="loan_maturity_date"), False),
        (crm("before", "2024-02-01", attr="signup"), True),
        (crm("after", "2024-02-01", attr="signup"), False),
        (crm("before", -365, attr="signup"), True),  # over a year ago
        (crm("after", -30, attr="last_login"), True),  # within the last 30 days
        (crm("eq", "2025-03-14", attr="last_login"), True),  # local (Seoul) day
        (crm("within_next_days", 7, attr="loan_maturity_date"), True),
        (crm("within_next_days", 6, attr="loan_maturity_date"), False),
        (crm("within_last_days", 400, attr="signup"), False),
        (crm("within_last_days", 500, attr="signup"), True),
        (crm("within_last_days", 0, attr="last_login"), True),  # today in Seoul
        (crm("within_next_days", 7, attr="segment"), False),  # not a date
        (crm("within_next_days", 7, attr="missing"), False),
    ],
)
def test_crm_ops(defn, expected):
    assert passes(defn, snap(crm=CRM)) is expected


@pytest.mark.parametrize(
    ("maturity", "expected"),
    [
        (date(2025, 3, 13), False),  # yesterday
        (date(2025, 3, 14), True),  # today
        (date(2025, 3, 21), True),  # in 7 days
        (date(2025, 3, 22), False),  # in 8 days
        ("2025-03-20", True),  # ISO string
        (datetime(2025, 3, 21, 14, 59, tzinfo=UTC), True),  # 23:59 on the 21st, Seoul
        (datetime(2025, 3, 21, 15, 0, tzinfo=UTC), False),  # 00:00 on the 22nd, Seoul
    ],
)
def test_within_next_days_edges(maturity, expected):
    s = snap(crm={"loan_maturity_date": maturity})
    defn = crm("within_next_days", 7, attr="loan_maturity_date")
    assert passes(defn, s) is expected


def test_today_is_the_sites_day_not_utc():
    # 2025-03-14 16:00 UTC is already the 15th in Seoul.
    s = snap(now=datetime(2025, 3, 14, 16, 0, tzinfo=UTC), crm={"d": date(2025, 3, 14)})
    assert not passes(crm("within_next_days", 7, attr="d"), s)
    assert passes(crm("within_last_days", 1, attr="d"), s)


# --- time of day and weekday ---------------------------------------------------------

NIGHT = {"field": "time_of_day", "from": "21:00", "to": "09:00"}


def at_seoul(hour, minute=0, second=0, day=14):
    return snap(now=datetime(2025, 3, day, hour, minute, second, tzinfo=SEOUL))


@pytest.mark.parametrize(
    ("clock", "expected"),
    [
        ((20, 59, 59), False),
        ((21, 0, 0), True),
        ((23, 59, 59), True),
        ((0, 0, 0), True),
        ((8, 59, 59), True),
        ((9, 0, 0), False),
        ((12, 0, 0), False),
    ],
)
def test_time_of_day_wraps_midnight_in_seoul(clock, expected):
    assert passes(NIGHT, at_seoul(*clock)) is expected


def test_time_of_day_uses_the_sites_zone():
    # 13:00 UTC is 22:00 in Seoul: night there, though the afternoon in UTC.
    s = snap(now=datetime(2025, 3, 14, 13, 0, tzinfo=UTC))
    assert passes(NIGHT, s)
    assert not passes(NIGHT, snap(now=s.now, tz=UTC))


def test_time_of_day_plain_range_and_end_of_day():
    office = {"field": "time_of_day", "from": "09:00", "to": "18:00"}
    assert passes(office, at_seoul(9))
    assert not passes(office, at_seoul(18))
    late = {"field": "time_of_day", "from": "22:30", "to": "24:00"}
    assert passes(late, at_seoul(23, 59, 59))
    assert not passes(late, at_seoul(0, 0, 0))


def test_weekday_in_the_sites_zone():
    # Thursday 20:00 UTC is Friday 05:00 in Seoul.
    s = snap(now=datetime(2025, 3, 13, 20, 0, tzinfo=UTC))
    assert passes({"field": "weekday", "in": ["fri"]}, s)
    assert not passes({"field": "weekday", "in": ["thu"]}, s)
    assert passes({"field": "weekday", "in": [4, 5]}, s)
    assert passes({"field": "weekday", "in": "Friday"}, s)
    assert passes({"field": "weekday", "in": ["thu"]}, snap(now=s.now, tz=UTC))


# --- reasons ---------------------------------------------------------------------


def test_leaf_reasons_state_actual_and_expected():
    s = snap(
        views=views((DAY, "bags", None), (DAY, "bags", None), (DAY, "bags", None)),
        page=Page(url="/bags", entered_at=ago(seconds=45)),
        crm={"loan_maturity_date": date(2025, 3, 19)},
    )
    d = check(
        {
            "all": [
                {
                    "field": "category_views",
                    "category": "bags",
                    "within": "7d",
                    "min": 4,
                },
                {"field": "dwell", "gte": 60},
                crm("within_next_days", 7, attr="loan_maturity_date"),
            ]
        },
        s,
    )
    texts = [r.text for r in d.reasons]
    assert texts == [
        "views of category 'bags' in the last 7d: 3 (expected >= 4)",
        "time on the current page: 45s (expected >= 1m)",
        "CRM loan_maturity_date: 2025-03-19 (in 5 days) "
        "(expected within the next 7 days)",
    ]
    assert [r.passed for r in d.reasons] == [False, False, True]
