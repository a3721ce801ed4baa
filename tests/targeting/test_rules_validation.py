"""Rules are refused at save with an error on the right field that names the JSON
path; every seed example saves; actions validate and render as plain text."""

from datetime import UTC, date, datetime, time

import pytest
from django.core.exceptions import ValidationError

from targeting.engine.actions import render_action, validate_action
from targeting.engine.conditions_values import RuleError
from targeting.engine.seed_rules import SEED_RULES
from targeting.engine.snapshot import Page
from targeting.models import CouponPool
from tests.factories import SiteFactory
from tests.targeting.rulesutil import BANNER, rule_build, rule_make
from tests.targeting.util import snap

INVITE = {"kind": "chat_invite", "title": "Need help?", "persona": {"name": "Mina"}}


def errors_of(rule) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    return caught.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"target_pages": ["/bags", "re:^/items/(\\d+"]},
            "target_pages",
            "$[1].regex: invalid regex",
        ),
        (
            {"condition": {"field": "path", "op": "regex", "value": "[a-"}},
            "condition",
            "$.value: invalid regex '[a-'",
        ),
        (
            {
                "condition": {
                    "all": [
                        {"field": "category", "op": "eq", "value": "bags"},
                        {"field": "dwel", "gte": 60},
                    ]
                }
            },
            "condition",
            "$.all[1].field: unknown field 'dwel' (did you mean 'dwell'?)",
        ),
        ({"condition": {"any": []}}, "condition", "$.any: empty 'any' group"),
        (
            {"condition": {"all": [{"field": "dwell", "gte": 1}, {"not": {}}]}},
            "condition",
            "$.all[1].not: expected a group",
        ),
        (
            {"target_pages": ["bags"]},
            "target_pages",
            '$[0]: expected a path prefix starting with "/" or "re:<regex>"',
        ),
        (
            {"action": {"kind": "banner", "title": "Hi {{nmae}}"}},
            "action",
            "$.title: unknown placeholder '{{nmae}}' (did you mean {{name}}?)",
        ),
        (
            {"action": {"kind": "banner", "title": "Hi", "body": "{{crm.}}"}},
            "action",
            "$.body: unknown placeholder",
        ),
        (
            {"action": {"kind": "banner", "title": "Hi {{name"}},
            "action",
            "$.title: unbalanced '{{' or '}}'",
        ),
        (
            {"action": {"kind": "popup", "title": "Hi"}},
            "action",
            "$.kind: unknown action kind 'popup'",
        ),
        (
            {"action": {"kind": "banner", "title": ""}},
            "action",
            "$.title: must not be empty",
        ),
        (
            {"action": {**BANNER, "cta": {"label": "Go", "url": "javascript:x()"}}},
            "action",
            "$.cta.url: expected an http(s) URL",
        ),
        (
            {"action": {**BANNER, "pool": 3}},
            "action",
            "$.pool: 'pool' belongs to coupon actions, not banner",
        ),
        (
            {"action": INVITE, "fallback": {**INVITE, "title": "Chat later?"}},
            "fallback",
            "a chat invitation cannot fall back to another chat invitation",
        ),
        (
            {"fallback": {"kind": "callback", "title": "Call me"}},
            "fallback",
            "only a chat invitation (shown when no counselor has free capacity) or "
            "a coupon (shown when its pool has no code left) has a fallback",
        ),
        (
            {
                "action": {"kind": "coupon", "title": "A code", "pool": 1},
                "fallback": INVITE,
            },
            "fallback",
            "a coupon cannot fall back to a chat invitation",
        ),
        ({"hours_from": time(21)}, "hours_until", "give both daily hours"),
        (
            {
                "starts_at": datetime(2026, 3, 2, tzinfo=UTC),
                "ends_at": datetime(2026, 3, 1, tzinfo=UTC),
            },
            "ends_at",
            "the rule ends before it starts",
        ),
        ({"holdout_percent": 60}, "holdout_percent", "less than or equal to 50"),
    ],
)
def test_bad_rule_is_refused_on_the_right_field(site, fields, field, message):
    errors = errors_of(rule_build(site, **fields))
    assert field in errors, errors
    assert message in errors[field][0], errors[field]


@pytest.mark.django_db
def test_coupon_action_needs_a_pool_of_the_rules_own_site(site):
    other = CouponPool.objects.create(site=SiteFactory(), name="Elsewhere")
    mine = CouponPool.objects.create(site=site, name="Spring")
    coupon = {"kind": "coupon", "title": "A secret coupon"}
    errors = errors_of(rule_build(site, action={**coupon, "pool": other.pk}))
    assert errors["action"] == [
        f"$.pool: no coupon pool #{other.pk} on this rule's site"
    ]
    rule = rule_make(site, action={**coupon, "pool": mine.pk})
    assert rule.action["pool"] == mine.pk


@pytest.mark.django_db
def test_chat_invite_may_fall_back_to_a_callback_offer(site):
    rule = rule_make(
        site, action=INVITE, fallback={"kind": "callback", "title": "Call me back"}
    )
    rule.refresh_from_db()
    assert rule.fallback["kind"] == "callback"
    assert rule.fallback["placement"] == "corner"  # normalised at save


@pytest.mark.django_db
@pytest.mark.parametrize("seed", SEED_RULES, ids=lambda s: s.key)
def test_every_seed_example_saves(site, seed):
    rule = rule_make(
        site,
        name=seed.description[:120],
        condition=seed.condition,
        priority=seed.priority,
        target_pages=list(seed.target_pages),
    )
    assert rule.pk


def test_action_is_normalised():
    action = validate_action(
        {
            "kind": "survey",
            "title": "  Quick question  ",
            "question": "How did you find us, {{name|friend}}?",
            "choices": ["Search", "A friend"],
        }
    )
    assert action == {
        "kind": "survey",
        "title": "Quick question",
        "body": "",
        "image": None,
        "cta": None,
        "placement": "corner",
        "question": "How did you find us, {{name|friend}}?",
        "choices": ["Search", "A friend"],
    }
    with pytest.raises(RuleError, match=r"\$.choices: expected a list of 2 to 5"):
        validate_action({**action, "choices": ["Only one"]})


def test_render_fills_placeholders_as_plain_text():
    action = validate_action(
        {
            "kind": "banner",
            "title": "{{name|Dear customer}}, {{product_name}} is waiting",
            "body": "Segment {{crm.segment}}, spent {{crm.spend_6m}}, "
            "due {{crm.due}} in {{category}}. {{crm.missing|}}",
            "cta": {"label": "Open", "url": "https://shop.example.com/c"},
            "placement": "bar",
        }
    )
    snapshot = snap(
        crm={"segment": "<b>gold</b>", "spend_6m": 3500000, "due": date(2026, 1, 2)},
        page=Page(url="/bags/1", category="bags", product_name="Tote"),
    )
    out = render_action(action, snapshot)
    assert out["title"] == "Dear customer, Tote is waiting"
    # Text, not markup: the widget inserts it with textContent.
    assert (
        out["body"] == "Segment <b>gold</b>, spent 3,500,000, due 2026-01-02 in bags."
    )
    assert out["cta"] == {"label": "Open", "url": "https://shop.example.com/c"}
    assert out["placement"] == "bar"
    named = render_action(action, snapshot, name="Kim")
    assert named["title"].startswith("Kim, ")


def test_render_coupon_carries_the_code_not_the_pool():
    action = validate_action({"kind": "coupon", "title": "For you", "pool": 4})
    out = render_action(action, snap(), coupon_code="SPRING-1")
    assert out["code"] == "SPRING-1" and "pool" not in out
