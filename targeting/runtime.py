"""Targeting on a visitor socket: after each batch of tracking events, and when a
time-based condition is due (a server-side timer at the engine's `wake_at`), pick
the winning rule and show its offer. One offer at a time; no client polling.

Runs in the event loop; the database work (recording the offer, coupons, the
answer) runs on the sync thread. Rules come from the per-process cache
(targeting.services.rules.site_rules_peek), so an event usually costs no query.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from channels.db import database_sync_to_async as db

from leads.services.availability import (
    availability_payload_cached,
    availability_payload_peek,
)
from targeting import clock
from targeting.engine.evaluator import pick, rank_key
from targeting.engine.snapshot import Context, Snapshot
from targeting.selectors import offer_history_load
from targeting.services.offers import offer_answer, offer_ignore, offer_present
from targeting.services.rules import (
    SiteRules,
    rule_allowed,
    site_rules,
    site_rules_peek,
    site_rules_stale,
)

log = logging.getLogger(__name__)

# Tracking kinds -> the engine's event types.
EVENT_TYPE = {
    "session": "page_view",
    "page_view": "page_view",
    "search": "search",
    "cart_add": "cart",
    "cart_remove": "cart",
    "checkout": "checkout",
    "purchase": "purchase",
    "identify": "identify",
}


class Targeter:
    def __init__(self, consumer) -> None:
        self.consumer = consumer
        self.site = consumer.site
        self.visitor = consumer.visitor
        self.history: dict[int, list[tuple[datetime, str]]] | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.timer_at: datetime | None = None
        self.showing: int | None = None  # the offer on screen
        self.expiry: asyncio.TimerHandle | None = None
        self.busy = False
        self.pending: set[str] = set()  # event types that came during an evaluation

    def close(self) -> None:
        for handle in (self.timer, self.expiry):
            if handle is not None:
                handle.cancel()

    async def _rules(self) -> SiteRules:
        rules = site_rules_peek(self.site.pk)
        if rules is not None:
            return rules
        stale = site_rules_stale(self.site.pk)
        if stale is None:  # first use, or a dated rule started or ended
            return await db(site_rules)(site=self.site)
        # Due for a version check: use what we have; one refresh per site runs on
        # the database thread (under load, waiting for it per event queued them all).
        if self.site.pk not in _refreshing:
            _refreshing.add(self.site.pk)
            asyncio.get_running_loop().create_task(_refresh(self.site))
        return stale

    async def _context(self, snapshot: Snapshot) -> Snapshot:
        # Cached for 2 s per site and process: a thread hop only to refresh it
        # (bench/targeting.py profiled the hop on every event at a third of the CPU).
        state = availability_payload_peek(self.site.pk)
        if state is None:
            state = await db(availability_payload_cached)(self.site)
        context = Context(
            business_hours_open=state["reason"] not in _CLOSED_BY_CALENDAR,
            counselor_available=bool(state["open"] and state["expected_wait"] == 0),
        )
        return snapshot.with_context(context)

    async def on_events(self, kinds) -> None:
        await self.evaluate({EVENT_TYPE.get(kind, "page_view") for kind in kinds})

    async def evaluate(self, event_types: set[str]) -> None:
        if self.busy:
            # The running evaluation took its snapshot before these events: run
            # again for them when it ends.
            self.pending |= event_types
            return
        self.busy = True
        try:
            while event_types:
                try:
                    await self._evaluate(event_types)
                except Exception:
                    log.exception("targeting failed for visitor %s", self.visitor.pk)
                event_types, self.pending = self.pending, set()
        finally:
            self.busy = False

    async def _evaluate(self, event_types: set[str]) -> None:
        rules = await self._rules()
        if not len(rules):
            return
        if self.history is None:
            self.history = await db(offer_history_load)(visitor_id=self.visitor.pk)
        live = self.consumer.live
        snapshot = live.snapshot.at(clock.now())
        if not snapshot.session.page_count:
            # No page view in this session yet (a `session` event comes first): the
            # page, its placeholders and page conditions are unknown. The first page
            # view evaluates (and arms the timers).
            return
        snapshot = await self._context(snapshot)
        seen: dict[int, object] = {}
        for event_type in event_types:
            for rule in rules.candidates_for(event_type, snapshot):
                seen[rule.id] = rule
        candidates = sorted(seen.values(), key=rank_key)
        history = self.history

        def blocked(rule) -> bool:
            if self.showing is not None:
                return True  # one offer at a time: evaluate only for the timer
            return not rule_allowed(
                rules.specs[rule.id],
                snapshot=snapshot,
                history=history.get(rule.id, ()),
            )

        chosen = pick(candidates, snapshot, skip=blocked)
        self._arm(chosen.wake_at)
        if chosen.winner is None or self.showing is not None:
            return
        spec = rules.specs[chosen.winner.id]
        offer, frame = await db(offer_present)(
            site=self.site,
            visitor=self.visitor,
            spec=spec,
            snapshot=snapshot,
            counselor_available=snapshot.context.counselor_available,
        )
        if offer is None:
            return
        history.setdefault(spec.id, []).append((offer.shown_at, offer.session_key))
        live.snapshot = live.snapshot.with_offer(
            at=offer.shown_at,
            rule_id=spec.id,
            kind=offer.kind,
            outcome="shown" if frame else "ignored",
        )
        if frame is None:
            return  # held out: recorded, not shown
        self.showing = offer.pk
        await self.consumer.send_json(frame)
        loop = asyncio.get_running_loop()
        self.expiry = loop.call_later(
            spec.offer_timeout_seconds,
            lambda: loop.create_task(self._expire(offer.pk)),
        )

    def _arm(self, wake_at: datetime | None) -> None:
        """One timer per socket, at the earliest pending wake-up."""
        if wake_at is None:
            return
        if self.timer is not None and self.timer_at is not None:
            if self.timer_at <= wake_at:
                return
            self.timer.cancel()
        loop = asyncio.get_running_loop()
        delay = clock.real_seconds_until(wake_at) + 0.01
        self.timer_at = wake_at
        self.timer = loop.call_later(delay, self._fire)

    def _fire(self) -> None:
        self.timer = None
        self.timer_at = None
        asyncio.get_running_loop().create_task(self.evaluate({"timer"}))

    async def _expire(self, offer_id: int) -> None:
        if self.showing != offer_id:
            return
        self.showing = None
        await db(offer_ignore)(offer_id=offer_id)
        await self.consumer.send_json(
            {"type": "offer_closed", "offer": offer_id, "reason": "ignored"}
        )
        await self.evaluate({"timer"})  # re-arm the timers the offer held back

    async def answer(self, offer_id: int, outcome: str):
        offer = await db(offer_answer)(
            visitor=self.visitor,
            offer_id=offer_id,
            outcome=outcome,
            snapshot=self.consumer.live.snapshot,
        )
        if self.showing == offer_id:
            self.showing = None
            if self.expiry is not None:
                self.expiry.cancel()
        live = self.consumer.live
        live.snapshot = live.snapshot.with_offer(
            at=clock.now(), rule_id=offer.rule_id, kind=offer.kind, outcome=outcome
        )
        if self.showing is None:
            await self.evaluate({"offer"})
        return offer


_CLOSED_BY_CALENDAR = {"closed_hours", "holiday", "closure"}
_refreshing: set[int] = set()


async def _refresh(site) -> None:
    try:
        await db(site_rules)(site=site)
    except Exception:
        log.exception("rules of site %s not refreshed", site.pk)
    finally:
        _refreshing.discard(site.pk)
