"""Every seed example of PRODUCT.md section 2 fires when it should and not otherwise.

Visitors are built event by event with the snapshot's ``with_*`` updates, as the
server will, so these double as a check of the incremental snapshot.
"""

from datetime import date, datetime, timedelta

import pytest

from targeting.engine.evaluator import evaluate, matches, pick, ranked
from targeting.engine.index import RuleIndex
from targeting.engine.seed_rules import LOAN_FUNNEL, SEED_RULES, SHOP_FUNNEL, seed_rules
from targeting.engine.snapshot import Checkout, Inflow, Page, Purchase, Session
from tests.targeting.util import NOW, SEOUL, later, snap

RULES = seed_rules()


def fires(key, s):
    rule = RULES[key]
    d = evaluate(rule, s)
    assert d.matched is matches(rule, s)
    return d.matched


NO_INFLOW = Inflow()


def visitor(*, returning=False, inflow=NO_INFLOW, crm=None, funnel=SHOP_FUNNEL):
    """A visitor whose session starts at NOW."""
    s = snap(
        session=Session(id="s1", started_at=NOW, inflow=inflow),
        returning=returning,
        visits=2 if returning else 1,
        crm=crm or {},
        checkout=Checkout(order=funnel),
    )
    return s


def browse(s, *pages, gap=timedelta(seconds=20)):
    """Page views ``gap`` apart: (url, category, product) triples."""
    t = s.now
    for url, category, product in pages:
        t += gap
        s = s.with_page_view(Page(url, t, category=category, product=product))
    return s


BAG = ("/bags/tote", "bags", "TOTE-1")
BAGS = ("/bags/", "bags", None)
SHOES = ("/shoes/", "shoes", None)


def test_seeds_are_data_with_one_line_descriptions():
    keys = [seed.key for seed in SEED_RULES]
    assert len(set(keys)) == len(keys) == len(RULES) == 12
    for seed in SEED_RULES:
        assert seed.description and "\n" not in seed.description
        assert seed.action


# Groobee: bags 4+ times and 60+ s -> bag-sale message.


def test_bags_sale():
    s = browse(visitor(), BAGS, BAG, BAGS, BAG)
    assert not fires("bags_sale", s.at(s.now + timedelta(seconds=59)))
    d = evaluate(RULES["bags_sale"], s.at(s.now + timedelta(seconds=30)))
    assert d.wake_at == s.now + timedelta(seconds=60)  # the server's dwell timer
    assert fires("bags_sale", s.at(s.now + timedelta(seconds=60)))


def test_bags_sale_needs_four_bag_views_this_session_and_a_bag_page():
    three = browse(visitor(), BAGS, SHOES, BAG, BAG)
    assert not fires("bags_sale", three.at(three.now + timedelta(minutes=5)))
    on_shoes = browse(visitor(), BAGS, BAG, BAGS, BAG, SHOES)
    assert not fires("bags_sale", on_shoes.at(on_shoes.now + timedelta(minutes=5)))
    # Views from yesterday's session do not count toward this one.
    yesterday = browse(visitor().at(NOW - timedelta(days=1)), BAGS, BAG, BAGS)
    today = yesterday.with_session(Session(id="s2", started_at=NOW)).at(NOW)
    today = browse(today, BAG)
    assert not fires("bags_sale", today.at(today.now + timedelta(minutes=5)))


# Groobee: from Facebook, looking at dresses -> "dresses your friends like".

DRESS = ("/dresses/midi", "dresses", "D-1")


@pytest.mark.parametrize(
    ("inflow", "page", "expected"),
    [
        (Inflow(referrer="https://m.facebook.com/photo.php?fbid=1"), DRESS, True),
        (Inflow(referrer="https://l.facebook.com/l.php?u=x"), DRESS, True),
        (Inflow(utm_source="Facebook", utm_medium="paid_social"), DRESS, True),
        (Inflow(referrer="https://www.google.com/search?q=dress"), DRESS, False),
        (Inflow(referrer="https://notfacebook.com/"), DRESS, False),
        (Inflow(referrer="https://www.facebook.com/"), BAG, False),
        (Inflow(), DRESS, False),
    ],
)
def test_facebook_dresses(inflow, page, expected):
    assert fires("facebook_dresses", browse(visitor(inflow=inflow), page)) is expected


# M-Force: loan matures within 7 days -> banner A; VIP -> banner B.


def test_loan_maturity_and_vip_banners():
    due7 = browse(visitor(crm={"loan_maturity_date": date(2025, 3, 21)}), BAGS)
    assert fires("loan_maturity", due7) and not fires("vip", due7)
    due8 = browse(visitor(crm={"loan_maturity_date": "2025-03-22"}), BAGS)
    assert not fires("loan_maturity", due8)
    # It becomes due-within-7-days at the next midnight in the bank's zone.
    assert evaluate(RULES["loan_maturity"], due8).wake_at == datetime(
        2025, 3, 15, tzinfo=SEOUL
    )
    overdue = browse(visitor(crm={"loan_maturity_date": date(2025, 3, 13)}), BAGS)
    assert not fires("loan_maturity", overdue)
    vip = browse(visitor(crm={"vip": True}), BAGS)
    assert fires("vip", vip) and not fires("loan_maturity", vip)
    assert not fires("vip", browse(visitor(crm={"vip": "yes"}), BAGS))
    assert not fires("vip", browse(visitor(), BAGS))  # anonymous


def test_loan_banner_wins_over_vip_when_both_apply():
    both = browse(
        visitor(crm={"vip": True, "loan_maturity_date": date(2025, 3, 17)}), BAGS
    )
    result = pick(ranked([RULES["vip"], RULES["loan_maturity"]]), both)
    assert result.winner is RULES["loan_maturity"]


# M-Force: completed the limit-check step -> loan product banner.


def test_limit_checked():
    s = visitor(funnel=LOAN_FUNNEL)
    s = browse(s, ("/loans/limit", None, None))
    s = s.with_checkout(at=s.now, step="limit_inquiry")
    assert not fires("limit_checked", s)
    s = s.with_checkout(at=later(minutes=1), step="limit_check")
    assert not fires("limit_checked", s)  # on it, not through it
    s = s.with_checkout(at=later(minutes=2), step="limit_result")
    assert fires("limit_checked", s)
    s = browse(s, ("/loans/products", None, None))  # and on later pages too
    assert fires("limit_checked", s)


# M-Force: paid at least X in the last 6 months -> benefit banner.


def test_big_spender_from_crm_or_purchases():
    assert fires("big_spender", visitor(crm={"spend_6m": 3_000_000}))
    assert not fires("big_spender", visitor(crm={"spend_6m": 2_999_999}))
    assert not fires("big_spender", visitor(crm={"spend_6m": "3000000"}))
    s = visitor()
    for days, amount in ((170, 2_000_000), (10, 1_000_000)):
        s = s.with_purchase(
            Purchase(NOW - timedelta(days=days), None, None, amount, f"o{days}")
        )
    s = s.at(NOW)
    assert fires("big_spender", s)
    # The older order leaves the 6-month (180-day) window in 10 days.
    assert evaluate(RULES["big_spender"], s).wake_at == NOW + timedelta(days=10)
    assert not fires("big_spender", s.at(NOW + timedelta(days=10)))


# M-Force: returning visitor lingering on a product page, or stuck on payment -> help.


def test_help_offer_for_a_lingering_returning_visitor():
    s = browse(visitor(returning=True), BAGS, BAG)
    assert not fires("help_offer", s.at(s.now + timedelta(seconds=89)))
    assert fires("help_offer", s.at(s.now + timedelta(seconds=90)))
    new = browse(visitor(returning=False), BAG)
    assert not fires("help_offer", new.at(new.now + timedelta(minutes=5)))
    listing = browse(visitor(returning=True), BAGS)
    assert not fires("help_offer", listing.at(listing.now + timedelta(minutes=5)))


def test_help_offer_for_a_shopper_stuck_on_payment():
    s = browse(visitor(), ("/checkout", None, None))
    s = s.with_checkout(at=s.now, step="shipping")
    s = s.with_checkout(at=s.now + timedelta(seconds=30), step="payment")
    assert not fires("help_offer", s.at(s.now + timedelta(seconds=119)))
    assert evaluate(RULES["help_offer"], s).wake_at == s.now + timedelta(minutes=2)
    assert fires("help_offer", s.at(s.now + timedelta(minutes=2)))
    done = s.with_checkout(at=s.now + timedelta(seconds=60), step="complete")
    assert not fires("help_offer", done.at(done.now + timedelta(minutes=5)))


# M-Force: card-application page and no card -> helper; at night -> phone booking.

APPLY = ("/cards/apply/step1", None, None)
CARD_RULES = ranked([RULES["card_helper"], RULES["card_night_booking"]])


def card_visitor(hour, crm=None, page=APPLY):
    s = visitor(crm=crm).at(datetime(2025, 3, 14, hour, 0, tzinfo=SEOUL))
    return browse(s, page)


def test_card_helper_by_day_and_phone_booking_at_night():
    day = card_visitor(14)
    assert fires("card_helper", day) and not fires("card_night_booking", day)
    assert pick(CARD_RULES, day).winner is RULES["card_helper"]
    night = card_visitor(22)
    assert fires("card_helper", night) and fires("card_night_booking", night)
    assert pick(CARD_RULES, night).winner is RULES["card_night_booking"]
    early = card_visitor(8)
    assert pick(CARD_RULES, early).winner is RULES["card_night_booking"]
    # The helper's day turns to night at 21:00: the server's timer.
    assert pick(CARD_RULES, day).wake_at == datetime(2025, 3, 14, 21, tzinfo=SEOUL)


def test_card_rules_skip_card_holders_and_other_pages():
    holder = card_visitor(22, crm={"card_holder": True})
    assert pick(CARD_RULES, holder).winner is None
    assert fires("card_helper", card_visitor(14, crm={"card_holder": False}))
    elsewhere = card_visitor(22, page=("/cards/benefits", None, None))
    assert pick(CARD_RULES, elsewhere).winner is None


# Bigin: main product viewed 3-5 times in 7 days and not bought -> secret coupon.

MAIN = ("/p/MAIN-001", "main", "MAIN-001")


def main_views(days_ago):
    s = visitor()
    for d in sorted(days_ago, reverse=True):
        s = s.with_page_view(Page(MAIN[0], NOW - timedelta(days=d), product=MAIN[2]))
    return browse(s.at(NOW), ("/", None, None))  # now on any page


@pytest.mark.parametrize(
    ("days_ago", "expected"),
    [
        ((6, 3, 1), True),
        ((6, 5, 3, 2, 1), True),
        ((6, 1), False),
        ((6, 5, 4, 3, 2, 1), False),
        ((8, 3, 1), False),  # one view is older than the 7 days
    ],
)
def test_secret_coupon_view_count(days_ago, expected):
    assert fires("secret_coupon", main_views(days_ago)) is expected


def test_secret_coupon_not_for_buyers_and_on_any_page():
    s = main_views((6, 3, 1))
    assert RULES["secret_coupon"].target_pages == ()
    bought = s.with_purchase(Purchase(NOW, "MAIN-001", "main", 1, "o1"))
    assert not fires("secret_coupon", bought)
    other = s.with_purchase(Purchase(NOW, "OTHER", None, 1, "o2"))
    assert fires("secret_coupon", other)
    # Six days on, the first view has left the 7-day window: two views, no coupon.
    assert evaluate(RULES["secret_coupon"], s).wake_at == NOW + timedelta(days=1)


# Appier: added to cart in the last hour, no payment in 24 hours -> reminder.


def cart_visitor(added_ago, *, paid_ago=None, removed=False):
    s = visitor()
    if paid_ago is not None:
        s = s.with_purchase(Purchase(NOW - paid_ago, "X", None, 10, "o1"))
    s = s.with_cart(at=NOW - added_ago, op="add", product="TOTE-1", category="bags")
    if removed:
        s = s.with_cart(at=NOW - added_ago / 2, op="remove", product="TOTE-1")
    return s.at(NOW)


def test_cart_reminder():
    s = cart_visitor(timedelta(minutes=30))
    assert fires("cart_reminder", s)
    # The add leaves the 1-hour window 30 minutes from now.
    assert evaluate(RULES["cart_reminder"], s).wake_at == NOW + timedelta(minutes=30)
    assert not fires("cart_reminder", cart_visitor(timedelta(minutes=61)))
    paid = cart_visitor(timedelta(minutes=30), paid_ago=timedelta(hours=10))
    assert not fires("cart_reminder", paid)
    paid_long_ago = cart_visitor(timedelta(minutes=30), paid_ago=timedelta(hours=25))
    assert fires("cart_reminder", paid_long_ago)
    emptied = cart_visitor(timedelta(minutes=30), removed=True)
    assert not fires("cart_reminder", emptied)


# Appier: bought the item in the last 24 hours -> excluded from its promotion.

PROMO = ("/p/PROMO-42", "promo", "PROMO-42")


def test_recent_buyers_are_excluded_from_the_promotion():
    s = browse(visitor(), PROMO)
    assert fires("promo_excludes_buyers", s)
    bought = s.with_purchase(
        Purchase(s.now - timedelta(hours=23), "PROMO-42", "promo", 1, "o1")
    )
    assert not fires("promo_excludes_buyers", bought)
    d = evaluate(RULES["promo_excludes_buyers"], bought)
    assert [r.path for r in d.failing] == ["$.all[1].not"]
    assert d.wake_at == s.now + timedelta(hours=1)  # eligible again after 24 hours
    assert fires("promo_excludes_buyers", bought.at(s.now + timedelta(hours=1)))
    assert not fires("promo_excludes_buyers", browse(visitor(), BAG))


# All together, through the index, as the server will run them.


def test_seed_rules_through_the_index():
    idx = RuleIndex(RULES.values())
    s = browse(visitor(returning=True), BAGS, BAG, BAGS, BAG)
    s = s.at(s.now + timedelta(seconds=95))
    cands = idx.candidates_for("timer", s)
    assert RULES["card_night_booking"] not in cands  # not a card page
    assert RULES["bags_sale"] in cands
    result = pick(cands, s)
    # Both bags_sale and help_offer match; the help offer has the higher priority.
    assert result.winner is RULES["help_offer"]
    assert (
        pick(cands, s, skip=lambda r: r is RULES["help_offer"]).winner
        is RULES["bags_sale"]
    )
