"""Combinators, evaluation (reasons, failing leaves, wake_at), rules and the winner."""

from datetime import UTC, date, datetime, timedelta

import pytest

from targeting.engine.conditions import compile_condition
from targeting.engine.conditions_base import All, Any, Leaf
from targeting.engine.evaluator import (
    Rule,
    RuleError,
    choose_winner,
    compile_rule,
    evaluate,
    matches,
    pick,
    ranked,
)
from targeting.engine.snapshot import (
    Cart,
    CartEvent,
    CartItem,
    Checkout,
    Context,
    Offer,
    Page,
    Purchase,
    Search,
    Session,
    View,
    Views,
)
from tests.targeting.util import (
    EPS,
    NOW,
    SEOUL,
    ago,
    assert_wake_exact,
    check,
    later,
    passes,
    snap,
)

YES = {"field": "returning"}  # true for RETURNING
NO = {"field": "visits", "gte": 100}  # false
RETURNING = snap(returning=True, visits=2)


class Probe(Leaf):
    """A leaf that counts how often it is asked."""

    def __init__(self, value: bool) -> None:
        super().__init__("$probe", "probe", frozenset())
        self.value, self.calls = value, 0

    def test(self, s):
        self.calls += 1
        return self.value

    def describe(self, s):
        return "probe", str(self.value), "anything"


# --- combinators -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("defn", "expected"),
    [
        ({"all": [YES]}, True),
        ({"all": [YES, YES]}, True),
        ({"all": [YES, NO]}, False),
        ({"any": [NO, YES]}, True),
        ({"any": [NO, NO]}, False),
        ({"not": YES}, False),
        ({"not": NO}, True),
        ({"not": {"not": YES}}, True),
        ({"all": [YES, {"any": [NO, {"not": NO}]}]}, True),
        ({"any": [{"all": [YES, NO]}, {"all": [NO, YES]}]}, False),
        ({"not": {"any": [NO, {"all": [YES, {"not": YES}]}]}}, True),
    ],
)
def test_combinators(defn, expected):
    assert passes(defn, RETURNING) is expected


def test_all_short_circuits_on_the_first_failure():
    first, second = Probe(False), Probe(True)
    assert not All("$", [first, second]).test(RETURNING)
    assert (first.calls, second.calls) == (1, 0)


def test_any_short_circuits_on_the_first_success():
    first, second = Probe(True), Probe(False)
    assert Any("$", [first, second]).test(RETURNING)
    assert (first.calls, second.calls) == (1, 0)


def test_timed_all_stops_at_a_failure_that_cannot_change_by_itself():
    first, second = Probe(False), Probe(True)
    assert All("$", [first, second]).timed(RETURNING) == (False, None)
    assert second.calls == 0


def test_explain_evaluates_every_leaf_for_the_preview():
    first, second = Probe(False), Probe(True)
    d = evaluate(All("$", [first, second]), RETURNING)
    assert not d.matched and len(d.reasons) == 2 and second.calls == 1


# --- reasons and failing leaves ------------------------------------------------------


def test_failing_names_the_failing_leaves_of_an_all():
    d = check({"all": [YES, NO, {"field": "visits", "lt": 1}]}, RETURNING)
    assert [r.path for r in d.failing] == ["$.all[1]", "$.all[2]"]
    assert [r.passed for r in d.reasons] == [True, False, False]
    assert "visit count: 2 (expected >= 100)" in str(d.failing[0])


def test_failing_through_any_names_every_branch():
    d = check({"all": [YES, {"any": [NO, {"field": "visits", "eq": 5}]}]}, RETURNING)
    assert [r.path for r in d.failing] == ["$.all[1].any[0]", "$.all[1].any[1]"]


def test_failing_through_not_names_the_leaves_that_passed():
    d = check(
        {"all": [YES, {"not": {"all": [YES, {"field": "visits", "eq": 2}]}}]}, RETURNING
    )
    assert not d.matched
    assert [r.path for r in d.failing] == ["$.all[1].not.all[0]", "$.all[1].not.all[1]"]
    assert all(r.passed for r in d.failing)


def test_matched_decision_has_no_failing_and_a_summary():
    d = check({"all": [YES, {"not": NO}]}, RETURNING)
    assert d.matched and d.failing == []
    assert d.summary().splitlines()[0] == "matches"
    assert "[pass] $.all[0] returning visitor: yes (expected yes)" in d.summary()


def test_fast_and_unexplained_paths_agree_with_explain():
    s = snap(returning=True, page=Page(url="/", entered_at=ago(seconds=10)))
    cond = compile_condition({"all": [YES, {"field": "dwell", "gte": 60}]})
    full = evaluate(cond, s)
    quick = evaluate(cond, s, explain=False)
    assert matches(cond, s) is full.matched is quick.matched is False
    assert quick.wake_at == full.wake_at == ago(seconds=10) + timedelta(seconds=60)
    assert quick.reasons == [] and quick.failing == []


# --- wake_at for each time-based leaf ------------------------------------------------


def page_for(seconds):
    return Page(url="/p", entered_at=NOW - timedelta(seconds=seconds))


@pytest.mark.parametrize(
    ("defn", "seconds", "wake_after_entry"),
    [
        ({"field": "dwell", "gte": 60}, 10, timedelta(seconds=60)),
        ({"field": "dwell", "gt": 60}, 10, timedelta(seconds=60) + EPS),
        ({"field": "dwell", "lt": 60}, 10, timedelta(seconds=60)),
        ({"field": "dwell", "lte": 60}, 10, timedelta(seconds=60) + EPS),
        ({"field": "dwell", "gte": 30, "lt": 60}, 40, timedelta(seconds=60)),
        ({"field": "dwell", "gte": 30, "lt": 60}, 10, timedelta(seconds=30)),
    ],
)
def test_wake_at_dwell_thresholds(defn, seconds, wake_after_entry):
    s = snap(page=page_for(seconds))
    assert assert_wake_exact(defn, s) == s.page.entered_at + wake_after_entry


def test_no_wake_once_every_threshold_is_behind():
    assert check({"field": "dwell", "gte": 60}, snap(page=page_for(90))).wake_at is None
    assert check({"field": "dwell", "gte": 60}, snap()).wake_at is None  # no page time


def test_wake_at_time_on_site_and_cart_idle():
    s = snap(
        session=Session(id="s", started_at=ago(minutes=3)),
        cart=Cart(events=(CartEvent(ago(minutes=10), "A", "add"),)),
    )
    assert assert_wake_exact({"field": "time_on_site", "gte": "5m"}, s) == later(
        minutes=2
    )
    assert assert_wake_exact({"field": "cart_idle", "gte": "30m"}, s) == later(
        minutes=20
    )


def test_wake_at_views_leaving_the_window():
    v = Views.of(View(ago(days=d), "bags", None) for d in (6, 5, 4, 1))
    s = snap(views=v)
    # 4 views >= 4 now; false when the 6-day-old one turns 7 days old.
    four = {"field": "category_views", "category": "bags", "within": "7d", "min": 4}
    assert assert_wake_exact(four, s) == later(days=1)
    # 4 views > max 2: true once two have left (the 5-day-old at +2 days).
    at_most_two = {
        "field": "category_views",
        "category": "bags",
        "within": "7d",
        "max": 2,
    }
    assert assert_wake_exact(at_most_two, s) == later(days=2)
    # Too few views never become enough by waiting.
    assert check({**four, "min": 5}, s).wake_at is None
    # Session and whole-history windows do not expire.
    assert check({**four, "within": "session"}, s).wake_at is None


def test_wake_at_product_views_over_several_products():
    v = Views.of(
        [
            View(ago(days=6), None, "A"),
            View(ago(days=3), None, "B"),
            View(ago(days=1), None, "A"),
        ]
    )
    defn = {"field": "product_views", "product": ["A", "B"], "within": "7d", "min": 3}
    assert assert_wake_exact(defn, snap(views=v)) == later(days=1)


def test_wake_at_history_windows():
    s = snap(
        searches=(Search(ago(minutes=50), "dress"),),
        cart=Cart(
            items=(CartItem("A"),),
            events=(CartEvent(ago(minutes=40), "A", "add"),),
        ),
        purchases=(Purchase(ago(hours=20), "P", "c", 1000, "o1"),),
        offers=(Offer(ago(hours=23), 1, "chat", "rejected", "s0"),),
    )
    assert assert_wake_exact({"field": "searches", "within": "1h"}, s) == later(
        minutes=10
    )
    assert assert_wake_exact({"field": "cart_added", "within": "1h"}, s) == later(
        minutes=20
    )
    bought = {"field": "purchased", "within": "24h"}
    assert assert_wake_exact({"not": bought}, s) == later(hours=4)
    total = {"field": "purchase_total", "within": "1d", "gte": 500}
    assert assert_wake_exact(total, s) == later(hours=4)
    offers = {"field": "offers", "within": "1d", "outcome": "rejected", "max": 0}
    assert assert_wake_exact(offers, s) == later(hours=1)
    assert check({"field": "offers", "within": "session"}, s).wake_at is None


def test_wake_at_checkout_stuck():
    co = Checkout(("cart", "payment"), "payment", ago(seconds=30))
    defn = {"field": "checkout", "op": "stuck", "step": "payment", "for": "2m"}
    assert assert_wake_exact(defn, snap(checkout=co)) == later(seconds=90)
    assert check(defn, snap(checkout=co, now=later(minutes=5))).wake_at is None


def test_wake_at_crm_relative_dates_is_local_midnight():
    seoul_midnight = datetime(2025, 3, 15, tzinfo=SEOUL)  # after Friday the 14th
    s = snap(crm={"due": date(2025, 3, 22), "seen": date(2025, 3, 1)})
    within7 = {"field": "crm", "attr": "due", "op": "within_next_days", "value": 7}
    # Due in 8 days: becomes true at the start of the 15th in Seoul.
    assert assert_wake_exact(within7, s) == seoul_midnight
    # Due in 8 days, window 10: true until the day after the due date.
    within10 = {**within7, "value": 10}
    assert assert_wake_exact(within10, s) == datetime(2025, 3, 23, tzinfo=SEOUL)
    last14 = {"field": "crm", "attr": "seen", "op": "within_last_days", "value": 14}
    # Seen 13 days ago: still "within the last 14 days" tomorrow, not the day after.
    assert assert_wake_exact(last14, s) == datetime(2025, 3, 16, tzinfo=SEOUL)
    before = {"field": "crm", "attr": "seen", "op": "before", "value": -10}
    # 03-01 < today - 10 (03-04): already true, and waiting keeps it true.
    assert passes(before, s) and check(before, s).wake_at is None
    # 03-10 < today - 10 first holds on the 21st.
    later_seen = s.with_crm({"seen": date(2025, 3, 10)})
    assert assert_wake_exact(before, later_seen) == datetime(2025, 3, 21, tzinfo=SEOUL)
    after = {"field": "crm", "attr": "seen", "op": "after", "value": -14}
    # 03-01 > today - 14 (02-28): true until today - 14 reaches 03-01, on the 15th.
    assert assert_wake_exact(after, s) == seoul_midnight
    absolute = {"field": "crm", "attr": "due", "op": "before", "value": "2025-04-01"}
    assert check(absolute, s).wake_at is None


def test_wake_at_time_of_day_boundaries_in_seoul():
    night = {"field": "time_of_day", "from": "21:00", "to": "09:00"}
    noon = snap()  # 12:00 in Seoul
    assert assert_wake_exact(night, noon) == datetime(2025, 3, 14, 21, tzinfo=SEOUL)
    late = snap(now=datetime(2025, 3, 14, 23, 30, tzinfo=SEOUL))
    assert assert_wake_exact(night, late) == datetime(2025, 3, 15, 9, tzinfo=SEOUL)


def test_wake_at_weekday_is_the_next_local_midnight_that_changes_it():
    weekend = {"field": "weekday", "in": ["sat", "sun"]}
    assert assert_wake_exact(weekend, snap()) == datetime(2025, 3, 15, tzinfo=SEOUL)
    weekdays = {"field": "weekday", "in": ["mon", "tue", "wed", "thu", "fri"]}
    assert assert_wake_exact(weekdays, snap()) == datetime(2025, 3, 15, tzinfo=SEOUL)
    every_day = {"field": "weekday", "in": list(range(7))}
    assert check(every_day, snap()).wake_at is None


def test_wake_at_business_hours_change():
    s = snap(context=Context(True, later(hours=6), True))
    assert assert_wake_exact({"field": "business_hours_open"}, s) == later(hours=6)


def test_static_leaves_have_no_wake():
    s = snap(returning=True, crm={"vip": True})
    for defn in (YES, NO, {"field": "crm", "attr": "vip", "op": "eq", "value": True}):
        assert check(defn, s).wake_at is None


# --- how groups combine wake_at ------------------------------------------------


DWELL60 = {"field": "dwell", "gte": 60}  # true at +50 s
DWELL120 = {"field": "dwell", "gte": 120}  # true at +110 s
DWELL_LT30 = {"field": "dwell", "lt": 30}  # false at +20 s
TEN = snap(page=page_for(10), returning=True)


def test_group_wake_at():
    at = TEN.page.entered_at
    # all false: cannot be true before the last failing leaf turns.
    assert check({"all": [DWELL60, DWELL120]}, TEN).wake_at == at + timedelta(
        seconds=120
    )
    # all false with a failing leaf that never changes alone: no timer.
    assert check({"all": [DWELL60, NO]}, TEN).wake_at is None
    # all true: the first leaf to turn.
    assert assert_wake_exact({"all": [YES, DWELL_LT30]}, TEN) == at + timedelta(
        seconds=30
    )
    # any false: the first failing leaf to turn.
    assert assert_wake_exact({"any": [DWELL60, DWELL120]}, TEN) == at + timedelta(
        seconds=60
    )
    # any true with a leaf that stays true: no timer.
    assert check({"any": [DWELL_LT30, YES]}, TEN).wake_at is None
    # not: the child's.
    assert assert_wake_exact({"not": DWELL60}, TEN) == at + timedelta(seconds=60)


def test_group_wake_is_never_late():
    # Whatever the mix, the result holds strictly before wake_at.
    s = TEN
    defn = {"any": [{"all": [DWELL60, {"not": DWELL120}]}, {"all": [YES, DWELL_LT30]}]}
    d = check(defn, s)
    step = timedelta(seconds=1)
    t = s.now
    while t + step < d.wake_at:
        t += step
        assert passes(defn, s.at(t)) == d.matched


# --- rules and the winner ------------------------------------------------------


def test_rule_triggers_are_derived_from_leaves():
    rule = compile_rule(
        id=1,
        condition={
            "all": [
                {"field": "cart_added", "within": "1h"},
                {"field": "crm", "attr": "vip", "op": "eq", "value": True},
                {"not": {"field": "purchased", "within": "24h"}},
            ]
        },
    )
    assert rule.triggers == {"page_view", "cart", "purchase", "identify", "timer"}
    assert compile_rule(id=2, condition={"field": "counselor_available"}).triggers == {
        "page_view",
        "context",
    }
    assert compile_rule(id=3, condition={"field": "searches"}).triggers == {
        "page_view",
        "search",
    }


def test_target_pages_gate_the_rule_and_explain_themselves():
    rule = compile_rule(
        id=1, condition=YES, target_pages=["/bags/", {"exact": "/sale"}]
    )
    on_bags = snap(returning=True, page=Page(url="/bags/1"))
    assert matches(rule, on_bags)
    assert matches(rule, snap(returning=True, page=Page(url="/sale?x=1")))
    elsewhere = snap(returning=True, page=Page(url="/shoes/1"))
    d = evaluate(rule, elsewhere)
    assert not d.matched
    assert d.failing[0].path == "$target_pages"
    assert d.failing[0].text == (
        "page path (target pages): '/shoes/1' (expected one of /bags/*, /sale)"
    )


def test_compile_rule_refuses_bad_priority_and_targets():
    with pytest.raises(RuleError, match=r"^\$priority: expected an integer"):
        compile_rule(id=1, condition=YES, priority="high")  # type: ignore[arg-type]
    with pytest.raises(RuleError, match=r"^\$target_pages\[0\]\.regex: invalid regex"):
        compile_rule(id=1, condition=YES, target_pages=[{"regex": "("}])
    with pytest.raises(RuleError, match=r"^\$target_pages\[1\]"):
        compile_rule(id=1, condition=YES, target_pages=["/a", {"glob": "/b*"}])


def rules(*specs: tuple[int, int, dict]) -> list[Rule]:
    return [compile_rule(id=i, priority=p, condition=c) for i, p, c in specs]


def test_choose_winner_by_priority_then_lower_id():
    r = rules((5, 10, YES), (3, 20, YES), (2, 20, YES), (1, 5, YES))
    assert choose_winner(r).id == 2
    assert choose_winner([]) is None
    assert [x.id for x in ranked(r)] == [2, 3, 5, 1]


def test_pick_returns_the_first_ranked_match_not_skipped():
    r = ranked(rules((1, 50, NO), (2, 40, YES), (3, 40, YES), (4, 10, YES)))
    result = pick(r, RETURNING)
    assert result.winner.id == 2 and result.evaluated == 2
    capped = pick(r, RETURNING, skip=lambda rule: rule.id == 2)
    assert capped.winner.id == 3
    assert pick(ranked(rules((1, 1, NO))), RETURNING).winner is None


def test_pick_wake_at_covers_higher_rules_and_the_winner():
    s = snap(returning=True, page=page_for(10))
    r = ranked(rules((1, 50, DWELL120), (2, 40, DWELL_LT30), (3, 30, DWELL60)))
    result = pick(r, s)
    assert result.winner.id == 2
    # Rule 2 stops matching at +30 s: sooner than rule 1 starting at +120 s.
    assert result.wake_at == s.page.entered_at + timedelta(seconds=30)


def test_snapshot_requires_an_aware_now():
    with pytest.raises(ValueError, match="aware"):
        snap(now=datetime(2025, 1, 1))
    assert snap(now=datetime(2025, 1, 1, tzinfo=UTC)).local.tzinfo is SEOUL


def test_reasons_print_large_amounts_in_plain_digits():
    s = snap(crm={"spend_6m": 3_500_000.0})
    d = check({"field": "crm", "attr": "spend_6m", "op": "gte", "value": 4_000_000}, s)
    assert d.reasons[0].text == "CRM spend_6m: 3500000 (expected >= 4000000)"
    d = check({"field": "cart_value", "gte": 1_250_000.5}, snap())
    assert d.reasons[0].text == "cart value: 0 (expected >= 1250000.5)"
