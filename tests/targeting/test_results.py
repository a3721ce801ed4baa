"""A rule's outcomes per variant over a hand-built history: exact counts, rates
and lift, with the attribution window's edges."""

from datetime import UTC, datetime, timedelta

import pytest

from chat.models import Conversation
from targeting.models import Offer, TrackEvent
from targeting.services.results import results_text, rule_results
from tests.factories import LeadFactory, VisitorFactory
from tests.targeting.rulesutil import rule_make

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def ago(delta: timedelta) -> datetime:
    return NOW - delta


@pytest.fixture
def world(site):
    rule = rule_make(site, holdout_percent=40)
    other = rule_make(site, name="Other rule")
    v = {k: VisitorFactory(site=site) for k in ("t1", "t2", "t3", "h1", "h2", "x")}

    def offer(who, at, state, variant="treatment", of=rule):
        Offer.objects.create(
            rule=of,
            site=site,
            visitor=v[who],
            session_key=f"s-{who}",
            variant=variant,
            kind="banner",
            state=state,
            shown_at=at,
        )

    def chat(who, at):
        conv = Conversation.objects.create(site=site, visitor=v[who], status="closed")
        Conversation.objects.filter(pk=conv.pk).update(created_at=at)

    def purchase(who, at):
        TrackEvent.objects.create(visitor=v[who], kind="purchase", at=at, data={})

    def lead(who, at, rule_id=None):
        LeadFactory(site=site, visitor=v[who], created_at=at, rule_id=rule_id)

    # Treatment: three visitors, four exposures.
    offer("t1", ago(3 * DAY), "accepted")
    chat("t1", ago(3 * DAY) + timedelta(hours=1))  # chat: counted
    lead("t1", ago(3 * DAY) + timedelta(hours=2))  # lead: counted
    purchase("t1", ago(5 * DAY))  # before the exposure: not counted
    offer("t1", ago(1 * DAY), "shown", of=other)  # another rule's exposure

    offer("t2", ago(2 * DAY), "rejected")
    chat("t2", ago(6 * DAY))  # before the exposure: not counted
    purchase("t2", ago(1 * DAY))  # counted

    offer("t3", ago(20 * DAY), "ignored")
    lead("t3", ago(10 * DAY), rule_id=rule.pk)  # out of window, names the rule
    offer("t3", ago(timedelta(hours=1)), "shown")
    purchase("t3", ago(timedelta(minutes=30)))  # counted

    # Holdout: two visitors.
    offer("h1", ago(4 * DAY), "held_out", "holdout")
    chat("h1", ago(2 * DAY))  # counted
    purchase("h1", ago(3 * DAY))  # counted
    lead("h1", ago(30 * DAY), rule_id=other.pk)  # another rule, long before

    offer("h2", ago(8 * DAY), "held_out", "holdout")
    purchase("h2", ago(1 * DAY))  # exactly 7 days later: the window has ended

    lead("x", ago(1 * DAY))  # a visitor never exposed
    return rule


@pytest.mark.django_db
def test_results_count_each_variant_exactly(world, django_assert_max_num_queries):
    with django_assert_max_num_queries(1):
        results = rule_results(rule=world, now=NOW)
    treatment = results["variants"]["treatment"]
    holdout = results["variants"]["holdout"]
    assert {k: v for k, v in treatment.items() if k != "rates"} == {
        "exposures": 4,
        "visitors": 3,
        "shown": 4,
        "accepted": 1,
        "rejected": 1,
        "ignored": 1,
        "pending": 1,
        "window_open": 3,
        "chat": 1,
        "lead": 2,
        "purchase": 2,
    }
    assert {k: v for k, v in holdout.items() if k != "rates"} == {
        "exposures": 2,
        "visitors": 2,
        "shown": 0,
        "accepted": 0,
        "rejected": 0,
        "ignored": 0,
        "pending": 0,
        "window_open": 1,
        "chat": 1,
        "lead": 0,
        "purchase": 1,
    }
    assert treatment["rates"] == {
        "accepted": 0.25,
        "rejected": 0.25,
        "ignored": 0.25,
        "chat": pytest.approx(1 / 3),
        "lead": pytest.approx(2 / 3),
        "purchase": pytest.approx(2 / 3),
    }
    assert holdout["rates"]["accepted"] is None  # nothing was shown to them
    assert holdout["rates"]["purchase"] == 0.5


@pytest.mark.django_db
def test_lift_of_treatment_over_holdout(world):
    lift = rule_results(rule=world, now=NOW)["lift"]
    assert lift["purchase"] == {
        "treatment": pytest.approx(2 / 3),
        "holdout": 0.5,
        "difference": pytest.approx(1 / 6),
        "relative": pytest.approx(1 / 3),
    }
    assert lift["chat"]["difference"] == pytest.approx(1 / 3 - 1 / 2)
    assert lift["chat"]["relative"] == pytest.approx(-1 / 3)
    # Nobody in the holdout left a lead: no ratio to speak of.
    assert lift["lead"]["difference"] == pytest.approx(2 / 3)
    assert lift["lead"]["relative"] is None


@pytest.mark.django_db
def test_window_and_since(world):
    wide = rule_results(rule=world, window=9 * DAY, now=NOW)["variants"]["holdout"]
    assert wide["purchase"] == 2  # h2's purchase is inside nine days
    recent = rule_results(
        rule=world, since=ago(2 * DAY + timedelta(minutes=1)), now=NOW
    )
    assert recent["variants"]["treatment"]["exposures"] == 2
    assert recent["variants"]["holdout"]["exposures"] == 0
    assert recent["lift"]["chat"]["relative"] is None


@pytest.mark.django_db
def test_results_text_reads_as_a_table(world):
    text = results_text(rule_results(rule=world, now=NOW))
    assert "exposures" in text and "treatment" in text
    row = next(line for line in text.splitlines() if line.startswith("purchase"))
    assert row.split()[2:4] == ["2", "1"]
    assert "lift +33.3%" in text
