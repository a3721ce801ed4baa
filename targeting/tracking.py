"""Tracking events: validation of what the widget reports, and how each event moves
the visitor's snapshot. Pure: no ORM, no clock (`now` is passed), so the live path
(targeting.live) and the rebuild from stored events share this code.

The wire format is in docs/protocol.md ("Tracking frames").
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from core.text import BadText, text_clean, text_length
from targeting.engine.snapshot import Inflow, Page, Purchase, Search, Session, Snapshot

MAX_EVENTS = 20
KINDS = frozenset(
    {
        "session",
        "page_view",
        "search",
        "cart_add",
        "cart_remove",
        "checkout",
        "purchase",
        "identify",
    }
)
INFLOW_FIELDS = (
    "landing",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "keyword",
)
DEVICES = ("mobile", "tablet", "desktop")
MAX_ATTRS = 30


class BadEvent(Exception):
    pass


@dataclass(frozen=True, slots=True)
class TrackedEvent:
    kind: str
    at: datetime
    session: str
    url: str
    data: dict[str, Any]


def _text(raw: dict, name: str, limit: int, *, required: bool = False) -> str | None:
    value = raw.get(name)
    if value is None or value == "":
        if required:
            raise BadEvent(f"'{name}' is required.")
        return None
    if not isinstance(value, str):
        raise BadEvent(f"'{name}' must be a string.")
    value = _clean(value, f"'{name}'").strip()
    if text_length(value) > limit:
        raise BadEvent(f"'{name}' is longer than {limit} characters.")
    return value or None


def _clean(value: str, what: str) -> str:
    """core.text's policy: a control character refuses the event."""
    try:
        return text_clean(value)
    except BadText as exc:
        raise BadEvent(f"{what} {exc}.") from None


def _number(raw: dict, name: str, *, default: float | None = None) -> float | None:
    value = raw.get(name)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadEvent(f"'{name}' must be a number.")
    if not math.isfinite(value) or value < 0 or value > 1e12:
        raise BadEvent(f"'{name}' is out of range.")
    return float(value)


def _qty(raw: dict) -> int:
    value = raw.get("qty", 1)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 999:
        raise BadEvent("'qty' must be an integer from 1 to 999.")
    return value


def _url(raw: dict, name: str, *, required: bool = False) -> str | None:
    value = _text(raw, name, 500, required=required)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise BadEvent(f"'{name}' must be an http(s) URL.")
    return value


def _product(raw: dict, *, required: bool) -> dict | None:
    value = raw.get("product")
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise BadEvent("'product' must be an object.")
    return {
        "id": _text(value, "id", 80, required=True),
        "name": _text(value, "name", 200),
        "category": _text(value, "category", 80),
        "price": _number(value, "price"),
    }


def _session_key(raw: dict) -> str:
    key = _text(raw, "session", 64, required=True)
    assert key is not None
    if len(key) < 8 or not key.isascii() or not key.isprintable():
        raise BadEvent("'session' must be 8 to 64 printable ASCII characters.")
    return key


def _crm_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise BadEvent("CRM numbers must be finite.")
        return value
    if isinstance(value, str):
        if text_length(value) > 200:
            raise BadEvent("CRM strings have at most 200 characters.")
        _clean(value, "A CRM string")  # checked, kept as signed (identify)
        return value
    raise BadEvent("CRM values are strings, numbers, booleans or null.")


def parse_identify(raw: dict) -> dict[str, Any]:
    """Shape only; the signature is checked by targeting.services.identify."""
    attrs = raw.get("attrs") or {}
    if not isinstance(attrs, dict) or len(attrs) > MAX_ATTRS:
        raise BadEvent(f"'attrs' must be an object of at most {MAX_ATTRS} keys.")
    for key in attrs:
        if not isinstance(key, str) or not 1 <= text_length(key) <= 40:
            raise BadEvent("CRM attribute names have 1 to 40 characters.")
        _clean(key, "A CRM attribute name")
    ts = raw.get("ts")
    if isinstance(ts, bool) or not isinstance(ts, int):
        raise BadEvent("'ts' must be unix seconds.")
    sig = _text(raw, "sig", 128, required=True)
    return {
        "user_id": _text(raw, "user_id", 80, required=True),
        "attrs": {k: _crm_value(v) for k, v in attrs.items()},
        "ts": ts,
        "sig": sig,
    }


def parse_event(raw: Any, *, now: datetime) -> TrackedEvent:
    """One event, or BadEvent with a sentence for the client."""
    if not isinstance(raw, dict):
        raise BadEvent("An event must be an object.")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise BadEvent(f"Unknown event kind {str(kind)[:20]!r}.")
    if kind == "identify":
        return TrackedEvent(kind, now, "", "", parse_identify(raw))
    session = _session_key(raw)
    url = ""
    data: dict[str, Any]
    if kind == "session":
        data = {name: _text(raw, name, 500) for name in INFLOW_FIELDS}
        for name in ("landing", "referrer"):
            if data[name]:
                data[name] = _url(raw, name)
        device = raw.get("device", "desktop")
        data["device"] = device if device in DEVICES else "desktop"
    elif kind == "page_view":
        url = _url(raw, "url", required=True) or ""
        data = {
            "title": _text(raw, "title", 200),
            "category": _text(raw, "category", 80),
            "product": _product(raw, required=False),
        }
    elif kind == "search":
        data = {"query": _text(raw, "query", 200, required=True)}
    elif kind in ("cart_add", "cart_remove"):
        data = {"product": _product(raw, required=True), "qty": _qty(raw)}
    elif kind == "checkout":
        data = {"step": _text(raw, "step", 40, required=True)}
    else:  # purchase
        items = raw.get("items") or []
        if not isinstance(items, list) or len(items) > 50:
            raise BadEvent("'items' must be a list of at most 50 products.")
        lines = []
        for item in items:
            if not isinstance(item, dict):
                raise BadEvent("Each item must be an object.")
            line = _product({"product": item}, required=True) or {}
            line["qty"] = _qty(item)
            lines.append(line)
        data = {
            "order": _text(raw, "order", 80, required=True),
            "amount": _number(raw, "amount", default=0.0),
            "items": lines,
        }
    return TrackedEvent(kind, now, session, url, data)


def parse_events(
    raw: Any, *, now: datetime
) -> tuple[list[tuple[int, TrackedEvent]], list[tuple[int, str]]]:
    """(index, event) for the valid events of a frame, (index, message) for each
    refused one; indexes are positions in the frame's list."""
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_EVENTS:
        raise BadEvent(f"'events' must be a list of 1 to {MAX_EVENTS} events.")
    good: list[tuple[int, TrackedEvent]] = []
    bad: list[tuple[int, str]] = []
    for index, item in enumerate(raw):
        try:
            good.append((index, parse_event(item, now=now)))
        except BadEvent as exc:
            bad.append((index, str(exc)))
    return good, bad


def _crm_for_engine(attrs: dict[str, Any]) -> dict[str, Any]:
    """Dates come as "YYYY-MM-DD" strings; the engine compares dates as dates."""
    out = {}
    for key, value in attrs.items():
        if isinstance(value, str) and len(value) == 10 and value[4] == value[7] == "-":
            try:
                value = date.fromisoformat(value)
            except ValueError:
                pass
        out[key] = value
    return out


def apply(snapshot: Snapshot, event: TrackedEvent) -> Snapshot:
    """The snapshot after `event` (already validated; identify already verified)."""
    at, data = event.at, event.data
    if event.kind == "session":
        if event.session == snapshot.session.id:
            return snapshot
        inflow = Inflow(
            referrer=data.get("referrer"),
            utm_source=data.get("utm_source"),
            utm_medium=data.get("utm_medium"),
            utm_campaign=data.get("utm_campaign"),
            keyword=data.get("keyword"),
            landing=data.get("landing"),
        )
        session = Session(event.session, at, 0, inflow, data.get("device", "desktop"))
        return snapshot.at(at).with_session(
            session, returning=snapshot.session.id != "" or snapshot.visits > 0
        )
    if event.kind == "page_view":
        product = data.get("product") or {}
        page = Page(
            url=event.url,
            entered_at=at,
            title=data.get("title"),
            category=data.get("category") or product.get("category"),
            product=product.get("id"),
            product_name=product.get("name"),
            price=product.get("price"),
        )
        return snapshot.with_page_view(page)
    if event.kind == "search":
        return snapshot.with_search(Search(at, data["query"]))
    if event.kind in ("cart_add", "cart_remove"):
        product = data["product"]
        return snapshot.with_cart(
            at=at,
            op="add" if event.kind == "cart_add" else "remove",
            product=product["id"],
            category=product.get("category"),
            price=product.get("price") or 0.0,
            qty=data["qty"],
        )
    if event.kind == "checkout":
        # The funnel's order is the order steps are first reached in: "completed X"
        # means a step first reached after X has been reached.
        step, order = data["step"], snapshot.checkout.order
        if step not in order:
            order = (*order, step)
        return snapshot.with_checkout(at=at, step=step, order=order)
    if event.kind == "purchase":
        lines = data["items"] or [{"id": None, "category": None, "price": None}]
        for line in lines:
            amount = (
                (line.get("price") or 0.0) * line.get("qty", 1)
                if data["items"]
                else data["amount"] or 0.0
            )
            snapshot = snapshot.with_purchase(
                Purchase(
                    at, line.get("id"), line.get("category"), amount, data["order"]
                )
            )
        for item in snapshot.cart.items:  # an order empties the cart
            snapshot = snapshot.with_cart(
                at=at, op="remove", product=item.product, qty=item.qty
            )
        return snapshot
    if event.kind == "identify":
        return snapshot.with_crm(_crm_for_engine(data["attrs"]))
    return snapshot
