"""Fill the targeting benchmark database: one site, V visitors (no conversations),
R active rules saved through ``full_clean`` (banner actions). Prints JSON: the site
key, the visitors' tokens, the page categories and the promo paths.

Rules, for R rules (``bench.targeting_engine``'s idea: a shop with more rules has
them on more categories, ``cats = max(10, R // 10)``):

* ``max(1, R // 100)`` *promo* rules: path prefix ``/promo/<k>/`` and category
  ``promo``. The load generator sends a controlled share of page views there: those
  are the events that complete a condition and must produce an ``offer`` frame.
* four site-wide rules (CRM attributes, a UTM campaign, a device): candidates on
  every page, never true for the bench visitors.
* the rest on categories ``c0..c{cats-1}``, six shapes (category + views in the
  session + dwell; target page + views in 7 days; product page + UTM; cart page +
  cart added; checkout stuck; category + Facebook referrer): evaluated on the
  category's pages, never true for the bench traffic (no cart, no checkout, Google
  referrer, far fewer views than required).

    python bench/targeting_seed.py --visitors 10000 --rules 100 --origin http://x
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from chat.models import Site, Visitor  # noqa: E402
from chat.services.visitors import visitor_token  # noqa: E402
from targeting.models import Rule  # noqa: E402


def categories(n: int) -> int:
    return max(10, n // 10)


def promo_count(n: int) -> int:
    return max(1, n // 100)


def banner(title: str) -> dict:
    return {"kind": "banner", "title": title, "body": "Hello {{name|there}}"}


def rule_specs(n: int) -> list[dict]:
    """(name, condition, target_pages) of the R rules; see the module docstring."""
    cats = categories(n)
    promos = promo_count(n)
    out: list[dict] = []
    for k in range(promos):
        out.append(
            {
                "name": f"promo {k}",
                "condition": {
                    "all": [
                        {"field": "path", "op": "prefix", "value": f"/promo/{k}/"},
                        {"field": "category", "op": "eq", "value": "promo"},
                    ]
                },
                "target_pages": [],
                "priority": 5,
            }
        )
    site_wide = [
        {"field": "crm", "attr": "vip", "op": "eq", "value": True},
        {"field": "crm", "attr": "spend_6m", "op": "gte", "value": 90_000_000},
        {"field": "utm_campaign", "op": "eq", "value": "bench-never"},
        {
            "all": [
                {"field": "device", "op": "eq", "value": "mobile"},
                {"field": "time_on_site", "gte": "3m"},
            ]
        },
    ]
    for j, cond in enumerate(site_wide):
        out.append({"name": f"site-wide {j}", "condition": cond, "target_pages": []})
    for i in range(n - len(out)):
        c = f"c{i % cats}"
        kind = (i // cats) % 6
        pages: list[str] = []
        if kind == 0:
            cond: dict = {
                "all": [
                    {"field": "category", "op": "eq", "value": c},
                    {
                        "field": "category_views",
                        "category": c,
                        "within": "session",
                        "min": 500,
                    },
                    {"field": "dwell", "gte": 60},
                ]
            }
        elif kind == 1:
            pages = [f"/{c}/"]
            cond = {
                "field": "category_views",
                "category": c,
                "within": "7d",
                "min": 5000,
            }
        elif kind == 2:
            pages = [f"/{c}/p{i % 50}"]
            cond = {"field": "utm_source", "op": "eq", "value": "bench-never"}
        elif kind == 3:
            pages = [f"re:^/{c}/cart$"]
            cond = {"field": "cart_added", "within": "1h"}
        elif kind == 4:
            cond = {
                "all": [
                    {"field": "path", "op": "prefix", "value": f"/{c}/checkout"},
                    {
                        "field": "checkout",
                        "op": "stuck",
                        "step": "payment",
                        "for": "2m",
                    },
                ]
            }
        else:
            cond = {
                "all": [
                    {"field": "category", "op": "in", "value": [c, f"{c}x"]},
                    {"field": "referrer", "op": "domain", "value": "facebook.com"},
                ]
            }
        out.append(
            {
                "name": f"rule {i} on {c}",
                "condition": cond,
                "target_pages": pages,
                "priority": i % 7,
            }
        )
    return out[:n]


def reset() -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE chat_site RESTART IDENTITY CASCADE")


def populate(visitors: int, rules: int, origin: str) -> dict:
    with transaction.atomic():
        site = Site.objects.create(name="Bench targeting", allowed_origins=origin)
        people = Visitor.objects.bulk_create(
            Visitor(site=site, name=f"Visitor {i}") for i in range(visitors)
        )
        made = []
        for spec in rule_specs(rules):
            rule = Rule(
                site=site,
                name=spec["name"],
                priority=spec.get("priority", 0),
                condition=spec["condition"],
                target_pages=spec["target_pages"],
                action=banner(spec["name"]),
            )
            rule.full_clean()  # refuses a bad rule as the admin would
            made.append(rule)
        Rule.objects.bulk_create(made)
    return {
        "site_key": site.public_key,
        "tokens": [visitor_token(v) for v in people],
        "categories": categories(rules),
        "promos": promo_count(rules),
        "rules": Rule.objects.filter(site=site, active=True).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--visitors", type=int, required=True)
    parser.add_argument("--rules", type=int, required=True)
    parser.add_argument("--origin", required=True)
    args = parser.parse_args()
    reset()
    json.dump(populate(args.visitors, args.rules, args.origin), sys.stdout)


if __name__ == "__main__":
    main()
