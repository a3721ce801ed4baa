"""Every seed example of PRODUCT.md section 2, written as a rule (data only), so the
docs can show them and tests can prove each one fires when it should.

Sources: Groobee (bags, Facebook dresses), M-Force RVTS (loan maturity / VIP, limit
check, 6-month spend, lingering or stuck shoppers, card application by day and night),
Bigin (secret coupon), Appier (cart reminder, recent buyers excluded).

Placeholders a site would replace: category names, the product ids "MAIN-001" and
"PROMO-42", the funnel step names, the spend threshold (3,000,000 KRW) and the CRM
attribute names (``loan_maturity_date``, ``vip``, ``spend_6m``, ``card_holder``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from targeting.engine.evaluator import Rule, compile_rule

# The loan site's limit-check funnel and the shop's checkout funnel, in order.
LOAN_FUNNEL = ("limit_inquiry", "limit_check", "limit_result", "application")
SHOP_FUNNEL = ("cart", "shipping", "payment", "complete")


@dataclass(frozen=True)
class SeedRule:
    key: str
    description: str  # one line, for docs/targeting.md
    action: str  # what the action layer shows; not evaluated here
    condition: dict[str, Any]
    priority: int = 0
    target_pages: tuple[Any, ...] = field(default=())


NOT_BOUGHT_MAIN_7D = {
    "not": {"field": "purchased", "product": "MAIN-001", "within": "7d"}
}

SEED_RULES: tuple[SeedRule, ...] = (
    SeedRule(
        "bags_sale",
        "On a bags page, viewed bags 4+ times this session and stayed 60+ s",
        "bag-sale message",
        {
            "all": [
                {"field": "category", "op": "eq", "value": "bags"},
                {
                    "field": "category_views",
                    "category": "bags",
                    "within": "session",
                    "min": 4,
                },
                {"field": "dwell", "gte": 60},
            ]
        },
        priority=20,
    ),
    SeedRule(
        "facebook_dresses",
        "Arrived from Facebook (referrer or utm_source) and looking at dresses",
        '"dresses your friends like" content',
        {
            "all": [
                {
                    "any": [
                        {
                            "field": "referrer",
                            "op": "domain",
                            "value": ["facebook.com", "fb.com"],
                        },
                        {
                            "field": "utm_source",
                            "op": "in",
                            "value": ["facebook", "fb"],
                            "ignore_case": True,
                        },
                    ]
                },
                {"field": "category", "op": "eq", "value": "dresses"},
            ]
        },
        priority=20,
    ),
    SeedRule(
        "loan_maturity",
        "Loan matures within the next 7 days (CRM loan_maturity_date)",
        "banner A (renewal)",
        {
            "field": "crm",
            "attr": "loan_maturity_date",
            "op": "within_next_days",
            "value": 7,
        },
        priority=40,
    ),
    SeedRule(
        "vip",
        "VIP customer (CRM vip = true)",
        "banner B (VIP)",
        {"field": "crm", "attr": "vip", "op": "eq", "value": True},
        priority=30,
    ),
    SeedRule(
        "limit_checked",
        "Completed the limit-check step of the loan limit inquiry",
        "loan product banner",
        {"field": "checkout", "op": "completed", "step": "limit_check"},
        priority=30,
    ),
    SeedRule(
        "big_spender",
        "Paid 3,000,000 or more in the last 6 months (CRM spend_6m or purchases)",
        "benefit banner",
        {
            "any": [
                {"field": "crm", "attr": "spend_6m", "op": "gte", "value": 3_000_000},
                {"field": "purchase_total", "within": "6mo", "gte": 3_000_000},
            ]
        },
        priority=10,
    ),
    SeedRule(
        "help_offer",
        "Returning visitor 90+ s on a product page, or stuck 2+ min on payment",
        "help offer (chat invitation)",
        {
            "any": [
                {
                    "all": [
                        {"field": "returning"},
                        {"field": "product", "op": "exists"},
                        {"field": "dwell", "gte": "90s"},
                    ]
                },
                {"field": "checkout", "op": "stuck", "step": "payment", "for": "2m"},
            ]
        },
        priority=50,
    ),
    SeedRule(
        "card_helper",
        "On the card-application pages without a card (CRM card_holder is not true)",
        "application helper",
        {"field": "crm", "attr": "card_holder", "op": "ne", "value": True},
        priority=30,
        target_pages=("/cards/apply",),
    ),
    SeedRule(
        "card_night_booking",
        "Same, at night (21:00-09:00 in the site's zone): wins over the helper",
        "phone-booking button",
        {
            "all": [
                {"field": "crm", "attr": "card_holder", "op": "ne", "value": True},
                {"field": "time_of_day", "from": "21:00", "to": "09:00"},
            ]
        },
        priority=31,
        target_pages=("/cards/apply",),
    ),
    SeedRule(
        "secret_coupon",
        "Viewed the main product 3-5 times in the last 7 days and did not buy it",
        "secret coupon (once per visitor, any page)",
        {
            "all": [
                {
                    "field": "product_views",
                    "product": "MAIN-001",
                    "within": "7d",
                    "min": 3,
                    "max": 5,
                },
                NOT_BOUGHT_MAIN_7D,
            ]
        },
        priority=25,
    ),
    SeedRule(
        "cart_reminder",
        "Added to the cart in the last hour, cart not empty, no purchase in 24 hours",
        "cart reminder",
        {
            "all": [
                {"field": "cart_added", "within": "1h"},
                {"field": "cart_items", "gte": 1},
                {"not": {"field": "purchased", "within": "24h"}},
            ]
        },
        priority=15,
    ),
    SeedRule(
        "promo_excludes_buyers",
        "Promotion on item PROMO-42's page; visitors who bought it in 24 h excluded",
        "item promotion",
        {
            "all": [
                {"field": "product", "op": "eq", "value": "PROMO-42"},
                {
                    "not": {
                        "field": "purchased",
                        "product": "PROMO-42",
                        "within": "24h",
                    }
                },
            ]
        },
        priority=20,
    ),
)


def seed_rules() -> dict[str, Rule]:
    """The seeds compiled, ids 1..n in the order above, by key."""
    return {
        seed.key: compile_rule(
            id=i,
            condition=seed.condition,
            priority=seed.priority,
            target_pages=seed.target_pages,
        )
        for i, seed in enumerate(SEED_RULES, start=1)
    }
