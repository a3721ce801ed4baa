"""The visitor snapshot: everything the rule engine may look at, as of ``now``.

Pure data, no ORM and no clock. The server keeps one ``Snapshot`` per live visitor in
memory and replaces it on every tracking event with one of the ``with_*`` methods.
Each builds a new top-level object that shares every unchanged part with the old one
(frozen dataclasses with ``__slots__``, histories as tuples of named tuples), so an
event costs a few small allocations and never a deep copy.

Conventions
* Every instant is an aware ``datetime``. UTC is fastest: datetimes sharing one tzinfo
  object compare without offset arithmetic. ``tz`` is the site's zone, used only for
  wall-clock conditions (time of day, weekday, calendar days of CRM dates).
* Histories are ordered oldest first (the ``with_*`` methods keep them so).
* "Within 7d" means less than 7 days old: ``at > now - 7d``. An event therefore leaves
  its window exactly at ``at + 7d``, the instant the server arms a timer for.
* ``views`` includes the view of the current page.
* Strings that were not reported are ``None``; conditions treat ``""`` the same.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from operator import itemgetter
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

CrmValue = str | int | float | bool | date | None
DEVICES = frozenset({"mobile", "tablet", "desktop"})
OFFER_OUTCOMES = frozenset({"shown", "accepted", "rejected", "ignored"})

# Every windowed history keeps its instant first, so one key serves bisect on all.
at_of = itemgetter(0)
_H = TypeVar("_H", bound=tuple[Any, ...])


def _newer(items: tuple[_H, ...], cutoff: datetime) -> tuple[_H, ...]:
    return items[bisect_right(items, cutoff, key=at_of) :]


def url_path(url: str) -> str:
    """The path of ``url`` without query or fragment; "/" when there is none."""
    if url.startswith("/") and not url.startswith("//"):
        end = len(url)
        for sep in ("?", "#"):
            i = url.find(sep)
            if 0 <= i < end:
                end = i
        return url[:end]
    try:
        return urlsplit(url).path or "/"
    except ValueError:
        return "/"


def url_host(url: str | None) -> str:
    """Lower-case host of ``url`` ("" when none); accepts a bare "host/path" too."""
    if not url:
        return ""
    try:
        return urlsplit(url if "//" in url else "//" + url).hostname or ""
    except ValueError:
        return ""


class View(NamedTuple):
    at: datetime
    category: str | None = None
    product: str | None = None


class Search(NamedTuple):
    at: datetime
    query: str


class CartItem(NamedTuple):
    product: str
    category: str | None = None
    price: float = 0.0
    qty: int = 1
    added_at: datetime | None = None


class CartEvent(NamedTuple):
    at: datetime
    product: str
    op: str  # "add" | "remove"
    category: str | None = None


class Purchase(NamedTuple):
    """One order line; an order of three products is three records with one order_id."""

    at: datetime
    product: str | None
    category: str | None
    amount: float
    order_id: str


class Offer(NamedTuple):
    """One outcome of an invitation or offer: a shown offer later accepted is two
    records, "shown" then "accepted"."""

    at: datetime
    rule_id: int | str
    kind: str
    outcome: str  # shown | accepted | rejected | ignored
    session_id: str


@dataclass(frozen=True, slots=True)
class Page:
    url: str = "/"
    entered_at: datetime | None = None
    title: str | None = None
    category: str | None = None
    product: str | None = None
    product_name: str | None = None
    price: float | None = None
    path: str = field(init=False, default="/")

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", url_path(self.url))


@dataclass(frozen=True, slots=True)
class Inflow:
    referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    keyword: str | None = None
    landing: str | None = None  # the landing page's URL as reported
    referrer_host: str = field(init=False, default="")
    # The landing page's path (no query or fragment): what `landing` tests.
    landing_path: str | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "referrer_host", url_host(self.referrer))
        if self.landing:
            object.__setattr__(self, "landing_path", url_path(self.landing))


@dataclass(frozen=True, slots=True)
class Session:
    id: str = ""
    started_at: datetime | None = None
    page_count: int = 0
    inflow: Inflow = Inflow()
    device: str = "desktop"


def _time_index(
    items: Iterable[View], *, product: bool
) -> dict[str, tuple[datetime, ...]]:
    """Instants of the views by their category, or by their product."""
    lists: dict[str, list[datetime]] = {}
    for item in items:
        if key := item.product if product else item.category:
            lists.setdefault(key, []).append(item.at)
    return {k: tuple(v) for k, v in lists.items()}


@dataclass(frozen=True, slots=True)
class Views:
    """Page views, oldest first, plus per-category and per-product sorted instants so
    a windowed count is two bisects instead of a scan of the whole history."""

    items: tuple[View, ...] = ()
    by_category: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)
    by_product: Mapping[str, tuple[datetime, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, views: Iterable[View]) -> Views:
        items = tuple(sorted(views, key=at_of))
        by_category = _time_index(items, product=False)
        return cls(items, by_category, _time_index(items, product=True))

    def add(self, view: View) -> Views:
        items = self.items
        if items and view.at < items[-1].at:  # late event: rare, rebuild
            return Views.of((*items, view))
        by_category = self.by_category
        if view.category:
            old = by_category.get(view.category, ())
            by_category = {**by_category, view.category: (*old, view.at)}
        by_product = self.by_product
        if view.product:
            old = by_product.get(view.product, ())
            by_product = {**by_product, view.product: (*old, view.at)}
        return Views((*items, view), by_category, by_product)

    def after(self, cutoff: datetime) -> Views:
        """Only the views newer than ``cutoff``."""
        i = bisect_right(self.items, cutoff, key=at_of)
        return self if i == 0 else Views.of(self.items[i:])


@dataclass(frozen=True, slots=True)
class Cart:
    items: tuple[CartItem, ...] = ()
    events: tuple[CartEvent, ...] = ()
    count: int = field(init=False, default=0)  # total quantity
    value: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        object.__setattr__(self, "count", sum(i.qty for i in self.items))
        object.__setattr__(self, "value", sum(i.price * i.qty for i in self.items))

    @property
    def last_activity_at(self) -> datetime | None:
        return self.events[-1].at if self.events else None


@dataclass(frozen=True, slots=True)
class Checkout:
    """The checkout (or any funnel) state. ``order`` names the steps in sequence; a
    step is named by its name or by its index in ``order`` (a plain int without one)."""

    order: tuple[str, ...] = ()
    step: str | int | None = None
    step_entered_at: datetime | None = None
    reached: frozenset[str | int] = frozenset()
    current_index: int | None = field(init=False, default=None)
    max_index: int | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        cur = None if self.step is None else self.index_of(self.step)
        seen = [i for i in map(self.index_of, self.reached) if i is not None]
        if cur is not None:
            seen.append(cur)
        object.__setattr__(self, "current_index", cur)
        object.__setattr__(self, "max_index", max(seen) if seen else None)

    def index_of(self, step: str | int) -> int | None:
        if isinstance(step, int):
            return step
        try:
            return self.order.index(step)
        except ValueError:
            return None


@dataclass(frozen=True, slots=True)
class Context:
    """Site state. ``hours_change_at`` is when ``business_hours_open`` next flips (from
    the schedule), so the engine knows the open state past that instant too."""

    business_hours_open: bool = True
    hours_change_at: datetime | None = None
    counselor_available: bool = False

    def open_at(self, now: datetime) -> bool:
        if self.hours_change_at is not None and now >= self.hours_change_at:
            return not self.business_hours_open
        return self.business_hours_open


@dataclass(frozen=True, slots=True)
class Snapshot:
    now: datetime
    tz: tzinfo = UTC
    page: Page = Page()
    session: Session = Session()
    visits: int = 1
    returning: bool = False
    views: Views = Views()
    searches: tuple[Search, ...] = ()
    cart: Cart = Cart()
    purchases: tuple[Purchase, ...] = ()
    checkout: Checkout = Checkout()
    crm: Mapping[str, CrmValue] = field(default_factory=dict)
    context: Context = Context()
    offers: tuple[Offer, ...] = ()
    _local: datetime | None = field(init=False, default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.now.tzinfo is None:
            raise ValueError("Snapshot.now must be an aware datetime")

    @property
    def local(self) -> datetime:
        """``now`` in the site's zone, computed once per snapshot."""
        loc = self._local
        if loc is None:
            loc = self.now.astimezone(self.tz)
            object.__setattr__(self, "_local", loc)
        return loc

    # Incremental updates: one per tracking event, each O(size of one history tuple).

    def _evolve(
        self,
        *,
        now: datetime | None = None,
        page: Page | None = None,
        session: Session | None = None,
        visits: int | None = None,
        returning: bool | None = None,
        views: Views | None = None,
        searches: tuple[Search, ...] | None = None,
        cart: Cart | None = None,
        purchases: tuple[Purchase, ...] | None = None,
        checkout: Checkout | None = None,
        crm: Mapping[str, CrmValue] | None = None,
        context: Context | None = None,
        offers: tuple[Offer, ...] | None = None,
    ) -> Snapshot:
        # Positional construction: dataclasses.replace costs twice as much, per event.
        return Snapshot(
            self.now if now is None else now,
            self.tz,
            self.page if page is None else page,
            self.session if session is None else session,
            self.visits if visits is None else visits,
            self.returning if returning is None else returning,
            self.views if views is None else views,
            self.searches if searches is None else searches,
            self.cart if cart is None else cart,
            self.purchases if purchases is None else purchases,
            self.checkout if checkout is None else checkout,
            self.crm if crm is None else crm,
            self.context if context is None else context,
            self.offers if offers is None else offers,
        )

    def at(self, now: datetime) -> Snapshot:
        return self._evolve(now=now)

    def with_session(
        self, session: Session, *, visits: int | None = None, returning: bool = True
    ) -> Snapshot:
        """A new session (visit) starts; the checkout funnel starts over."""
        return self._evolve(
            session=session,
            visits=self.visits + 1 if visits is None else visits,
            returning=returning,
            checkout=Checkout(order=self.checkout.order),
        )

    def with_page_view(self, page: Page) -> Snapshot:
        """The visitor is on ``page`` since ``page.entered_at``, which becomes now."""
        at = page.entered_at
        if at is None:
            raise ValueError("a page view needs page.entered_at")
        ses = self.session
        session = Session(
            ses.id, ses.started_at, ses.page_count + 1, ses.inflow, ses.device
        )
        views = self.views.add(View(at, page.category, page.product))
        return self._evolve(now=at, page=page, session=session, views=views)

    def with_search(self, search: Search) -> Snapshot:
        return self._evolve(now=search.at, searches=(*self.searches, search))

    def with_cart(
        self,
        *,
        at: datetime,
        op: str,
        product: str,
        category: str | None = None,
        price: float = 0.0,
        qty: int = 1,
    ) -> Snapshot:
        """``op`` "add" adds ``qty`` (merging with a line of the same product);
        "remove" takes ``qty`` away, dropping the line at zero."""
        if op not in ("add", "remove"):
            raise ValueError(f"cart op must be 'add' or 'remove', got {op!r}")
        items = list(self.cart.items)
        for i, item in enumerate(items):
            if item.product == product:
                left = item.qty + qty if op == "add" else item.qty - qty
                if left > 0:
                    items[i] = item._replace(qty=left)
                else:
                    del items[i]
                break
        else:
            if op == "add":
                items.append(CartItem(product, category, price, qty, at))
        event = CartEvent(at, product, op, category)
        cart = Cart(tuple(items), (*self.cart.events, event))
        return self._evolve(now=at, cart=cart)

    def with_purchase(self, line: Purchase) -> Snapshot:
        """One order line. The cart is the caller's business (it reports removals)."""
        return self._evolve(now=line.at, purchases=(*self.purchases, line))

    def with_checkout(
        self, *, at: datetime, step: str | int, order: tuple[str, ...] | None = None
    ) -> Snapshot:
        co = self.checkout
        entered = co.step_entered_at if step == co.step else at
        checkout = Checkout(
            order=co.order if order is None else order,
            step=step,
            step_entered_at=entered,
            reached=co.reached | {step},
        )
        return self._evolve(now=at, checkout=checkout)

    def with_crm(self, attrs: Mapping[str, CrmValue]) -> Snapshot:
        """Merge attributes from a verified identify call."""
        return self._evolve(crm={**self.crm, **attrs})

    def with_context(self, context: Context) -> Snapshot:
        """Business hours or counselor availability changed."""
        return self._evolve(context=context)

    def with_offer(
        self, *, at: datetime, rule_id: int | str, kind: str, outcome: str
    ) -> Snapshot:
        if outcome not in OFFER_OUTCOMES:
            raise ValueError(f"unknown offer outcome {outcome!r}")
        offer = Offer(at, rule_id, kind, outcome, self.session.id)
        return self._evolve(now=at, offers=(*self.offers, offer))

    def pruned(self, keep: timedelta) -> Snapshot:
        """Drop history older than ``keep`` (the retention window) before ``now``."""
        cutoff = self.now - keep
        cart = self.cart
        events = _newer(cart.events, cutoff)
        if len(events) != len(cart.events):
            cart = Cart(cart.items, events)
        return self._evolve(
            views=self.views.after(cutoff),
            searches=_newer(self.searches, cutoff),
            cart=cart,
            purchases=_newer(self.purchases, cutoff),
            offers=_newer(self.offers, cutoff),
        )
