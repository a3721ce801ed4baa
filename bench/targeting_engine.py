"""Micro-benchmark of the pure targeting core: CPU microseconds per tracking event
for R = 10, 100, 1,000 active rules, choosing candidates with the RuleIndex versus
evaluating every rule.

Each event updates one visitor's snapshot (as the server will), picks the candidates
and runs ``pick`` (rules in priority order up to the first match, with ``wake_at``).
Rules are spread over categories and pages as a shop would have them (a shop with more
rules has them on more categories: max(10, R / 10)), plus four site-wide rules.

Run: ``.venv/bin/python -m bench.targeting_engine [--events N] [--repeat K]``
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from targeting.engine.evaluator import Rule, compile_rule, pick, ranked
from targeting.engine.index import RuleIndex
from targeting.engine.snapshot import (
    Checkout,
    Inflow,
    Page,
    Purchase,
    Session,
    Snapshot,
)

T0 = datetime(2025, 3, 14, 3, 0, tzinfo=UTC)
SEOUL = ZoneInfo("Asia/Seoul")
FUNNEL = ("cart", "shipping", "payment", "complete")


def make_rules(n: int) -> list[Rule]:
    cats = max(10, n // 10)
    out = []
    for i in range(n - 4):
        c = f"c{i % cats}"
        kind = (i // cats) % 6
        targets: list[object] = []
        cond: dict[str, object]
        if kind == 0:
            cond = {
                "all": [
                    {"field": "category", "op": "eq", "value": c},
                    {
                        "field": "category_views",
                        "category": c,
                        "within": "session",
                        "min": 4,
                    },
                    {"field": "dwell", "gte": 60},
                ]
            }
        elif kind == 1:
            targets = [f"/{c}/"]
            cond = {"field": "category_views", "category": c, "within": "7d", "min": 3}
        elif kind == 2:
            targets = [{"exact": f"/{c}/p{i}"}]
            not_bought = {"field": "purchased", "product": f"p{i}", "within": "24h"}
            cond = {"all": [{"field": "returning"}, {"not": not_bought}]}
        elif kind == 3:
            targets = [{"regex": f"^/{c}/cart$"}]
            cond = {
                "all": [
                    {"field": "cart_added", "within": "1h"},
                    {"not": {"field": "purchased", "within": "24h"}},
                ]
            }
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
            compile_rule(id=i, priority=i % 7, condition=cond, target_pages=targets)
        )
    site_wide: list[dict[str, object]] = [
        {
            "field": "crm",
            "attr": "loan_maturity_date",
            "op": "within_next_days",
            "value": 7,
        },
        {"field": "crm", "attr": "spend_6m", "op": "gte", "value": 90_000_000},
        {
            "all": [
                {
                    "field": "product_views",
                    "product": "MAIN",
                    "within": "7d",
                    "min": 3,
                    "max": 5,
                },
                {"not": {"field": "purchased", "product": "MAIN", "within": "7d"}},
            ]
        },
        {
            "all": [
                {"field": "time_of_day", "from": "21:00", "to": "09:00"},
                {"field": "counselor_available", "value": False},
                {"field": "time_on_site", "gte": "3m"},
            ]
        },
    ]
    for j, cond in enumerate(site_wide):
        out.append(compile_rule(id=n - 4 + j, priority=3, condition=cond))
    return out


def make_visitors(k: int, cats: int, rng: random.Random) -> list[Snapshot]:
    out = []
    for v in range(k):
        inflow = Inflow(
            referrer=rng.choice(
                ["https://m.facebook.com/", "https://google.com/", None]
            )
        )
        s = Snapshot(
            now=T0 - timedelta(days=30),
            tz=SEOUL,
            session=Session(
                id=f"s{v}", started_at=T0 - timedelta(minutes=5), inflow=inflow
            ),
            crm={
                "spend_6m": rng.randint(0, 10_000_000),
                "loan_maturity_date": date(2025, 4, 1),
            },
            checkout=Checkout(order=FUNNEL),
            visits=rng.randint(1, 5),
            returning=rng.random() < 0.5,
        )
        for j in range(rng.randint(10, 60)):  # a month of browsing
            c = f"c{rng.randrange(cats)}"
            at = T0 - timedelta(days=30) + timedelta(hours=12 * j)
            product = rng.choice([None, "MAIN"])
            s = s.with_page_view(Page(f"/{c}/", at, category=c, product=product))
        out.append(s.at(T0))
    return out


Event = tuple[str, int, str, str | None, str | None]


def make_events(n: int, k: int, cats: int, rng: random.Random) -> list[Event]:
    events: list[Event] = []
    for _ in range(n):
        c = f"c{rng.randrange(cats)}"
        r = rng.random()
        v = rng.randrange(k)
        if r < 0.6:
            url, prod = rng.choice(
                [(f"/{c}/", None), (f"/{c}/p{rng.randrange(1000)}", "x")]
            )
            events.append(("page_view", v, url, c, prod))
        elif r < 0.8:
            events.append(("timer", v, "", None, None))
        elif r < 0.9:
            events.append(("cart", v, f"/{c}/cart", c, f"p{rng.randrange(50)}"))
        elif r < 0.95:
            events.append(("checkout", v, f"/{c}/checkout", None, rng.choice(FUNNEL)))
        else:
            events.append(
                ("purchase", v, f"/{c}/checkout", None, f"p{rng.randrange(50)}")
            )
    return events


def apply(s: Snapshot, ev: Event, now: datetime) -> Snapshot:
    kind, _, url, cat, extra = ev
    if kind == "page_view":
        return s.with_page_view(Page(url, now, category=cat, product=extra))
    if kind == "cart":
        return s.with_cart(
            at=now, op="add", product=extra or "p", category=cat, price=10
        )
    if kind == "checkout":
        return s.with_checkout(at=now, step=extra or "cart")
    if kind == "purchase":
        return s.with_purchase(Purchase(now, extra, None, 100, "o"))
    return s.at(now)


def run(
    events: Sequence[Event],
    visitors: list[Snapshot],
    choose: Callable[[str, Snapshot], Sequence[Rule]] | None,
) -> tuple[float, float]:
    """(CPU us per event, rules evaluated per event); ``choose`` None: update only."""
    snaps = list(visitors)
    evaluated = 0
    step = timedelta(milliseconds=3)
    now = T0
    start = time.process_time()
    for ev in events:
        now += step
        v = ev[1]
        s = snaps[v] = apply(snaps[v], ev, now)
        if choose is not None:
            evaluated += pick(choose(ev[0], s), s).evaluated
    elapsed = time.process_time() - start
    return elapsed / len(events) * 1e6, evaluated / len(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--visitors", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"{args.events} events over {args.visitors} visitors; best of {args.repeat}")
    print(
        f"{'R':>6} {'mode':<10} {'us/event':>9} {'engine us':>10} {'rules/event':>12}"
    )
    for n in (10, 100, 1000):
        rng = random.Random(n)
        cats = max(10, n // 10)
        rules = make_rules(n)
        visitors = make_visitors(args.visitors, cats, rng)
        events = make_events(args.events, args.visitors, cats, rng)
        idx = RuleIndex(rules)
        every = ranked(rules)

        def all_rules(
            _event: str, _s: Snapshot, every: list[Rule] = every
        ) -> list[Rule]:
            return every

        modes: dict[str, Callable[[str, Snapshot], Sequence[Rule]] | None] = {
            "update": None,
            "index": idx.candidates_for,
            "all rules": all_rules,
        }
        base = 0.0
        for mode, choose in modes.items():
            best = min(
                (run(events, visitors, choose) for _ in range(args.repeat)),
                key=lambda r: r[0],
            )
            if choose is None:
                base = best[0]
                print(f"{n:>6} {mode:<10} {best[0]:>9.1f}")
                continue
            us, per_event = best
            print(f"{n:>6} {mode:<10} {us:>9.1f} {us - base:>10.1f} {per_event:>12.1f}")


if __name__ == "__main__":
    main()
