"""What a rule shows: the action JSON managers write, its validation, and its
rendering for one visitor (the ``offer`` frame's content).

Pure: no ORM, no clock. Errors are ``RuleError(path, message)`` like the condition
compiler's, with paths rooted at ``$`` (the action object).

Action JSON::

    {"kind": "chat_invite" | "banner" | "coupon" | "callback" | "survey",
     "title": "...",            # 1-120 characters
     "body": "...",             # up to 500 characters
     "image": "https://..." | null,
     "cta": {"label": "...", "url": "https://..."} | null,
     "placement": "corner" | "bar" | "modal",        # default "corner"
     "persona": {"name": "...", "avatar": "https://..." | null},   # chat_invite
     "pool": 12,                                     # coupon: a CouponPool id
     "question": "...", "choices": ["...", "..."]}   # survey: 2-5 choices

Placeholders in ``title``, ``body`` and ``question``: ``{{name}}``,
``{{crm.<attribute>}}``, ``{{product_name}}``, ``{{category}}``, each with an optional
default after a bar: ``{{name|there}}``. Anything else between braces is refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from difflib import get_close_matches
from typing import Any
from urllib.parse import urlsplit

from targeting.engine.conditions_values import RuleError
from targeting.engine.snapshot import Snapshot

KINDS = ("chat_invite", "banner", "coupon", "callback", "survey")
PLACEMENTS = ("corner", "bar", "modal")
COMMON_KEYS = ("kind", "title", "body", "image", "cta", "placement")
KIND_KEYS = {
    "chat_invite": ("persona",),
    "banner": (),
    "coupon": ("pool",),
    "callback": (),
    "survey": ("question", "choices"),
}
PLACEHOLDERS = ("name", "product_name", "category", "crm.<attribute>")
TEXT_FIELDS = ("title", "body", "question")
MAX_URL = 500

_PLACEHOLDER = re.compile(r"\{\{\s*([^{}|]*?)\s*(?:\|([^{}]*))?\}\}")
_CRM_ATTR = re.compile(r"crm\.([A-Za-z0-9_\-]{1,40})")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SPACES = re.compile(r"[ \t]{2,}")


def _text(
    value: Any,
    path: str,
    limit: int,
    *,
    required: bool = False,
    multiline: bool = False,
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise RuleError(path, f"expected a string, got {value!r}")
    text = _CONTROL.sub("", value if multiline else value.replace("\n", " ")).strip()
    if required and not text:
        raise RuleError(path, "must not be empty")
    if len(text) > limit:
        raise RuleError(path, f"longer than {limit} characters")
    return text


def _url(value: Any, path: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise RuleError(path, "an http(s) URL is required")
        return None
    if not isinstance(value, str) or len(value) > MAX_URL:
        raise RuleError(path, f"expected an http(s) URL of at most {MAX_URL} chars")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise RuleError(path, f"expected an http(s) URL, got {value!r}")
    return value.strip()


def _object(value: Any, path: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RuleError(path, f"expected an object, got {value!r}")
    for key in value:
        if key not in keys:
            hint = get_close_matches(str(key), keys, n=1)
            tip = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise RuleError(
                f"{path}.{key}",
                f"unknown key {key!r}{tip}; expected one of {', '.join(keys)}",
            )
    return value


def check_placeholders(text: str, path: str) -> None:
    """Refuse unknown placeholders and stray braces."""
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        if name in ("name", "product_name", "category") or _CRM_ATTR.fullmatch(name):
            continue
        hint = get_close_matches(name, ("name", "product_name", "category"), n=1)
        tip = f" (did you mean {{{{{hint[0]}}}}}?)" if hint else ""
        raise RuleError(
            path,
            f"unknown placeholder {match.group(0)!r}{tip}; "
            f"use one of {', '.join('{{' + p + '}}' for p in PLACEHOLDERS)}",
        )
    rest = _PLACEHOLDER.sub("", text)
    if "{{" in rest or "}}" in rest:
        raise RuleError(
            path, "unbalanced '{{' or '}}' (placeholders look like {{name}})"
        )


def validate_action(data: Any, path: str = "$") -> dict[str, Any]:
    """The action, checked and normalised (every key of its kind present, text
    stripped, defaults filled); raises ``RuleError``."""
    if not isinstance(data, Mapping):
        raise RuleError(path, f"expected an action object, got {data!r}")
    kind = data.get("kind")
    if kind not in KINDS:
        hint = get_close_matches(str(kind), KINDS, n=1)
        tip = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise RuleError(
            f"{path}.kind",
            f"unknown action kind {kind!r}{tip}; expected one of {', '.join(KINDS)}",
        )
    allowed = COMMON_KEYS + KIND_KEYS[kind]
    for key in data:
        if key not in allowed:
            owners = [k for k, keys in KIND_KEYS.items() if key in keys]
            if owners:
                msg = f"{key!r} belongs to {' and '.join(owners)} actions, not {kind}"
            else:
                hint = get_close_matches(str(key), allowed, n=1)
                tip = f" (did you mean {hint[0]!r}?)" if hint else ""
                msg = f"unknown key {key!r}{tip}"
            raise RuleError(f"{path}.{key}", msg)
    out: dict[str, Any] = {
        "kind": kind,
        "title": _text(data.get("title"), f"{path}.title", 120, required=True),
        "body": _text(data.get("body"), f"{path}.body", 500, multiline=True),
        "image": _url(data.get("image"), f"{path}.image"),
        "cta": None,
        "placement": data.get("placement") or "corner",
    }
    if out["placement"] not in PLACEMENTS:
        raise RuleError(
            f"{path}.placement",
            f"expected one of {', '.join(PLACEMENTS)}, got {out['placement']!r}",
        )
    if data.get("cta") is not None:
        cta = _object(data["cta"], f"{path}.cta", ("label", "url"))
        out["cta"] = {
            "label": _text(cta.get("label"), f"{path}.cta.label", 40, required=True),
            "url": _url(cta.get("url"), f"{path}.cta.url", required=True),
        }
    if kind == "chat_invite":
        out["persona"] = None
        if data.get("persona") is not None:
            p = f"{path}.persona"
            persona = _object(data["persona"], p, ("name", "avatar"))
            out["persona"] = {
                "name": _text(persona.get("name"), f"{p}.name", 80, required=True),
                "avatar": _url(persona.get("avatar"), f"{p}.avatar"),
            }
    elif kind == "coupon":
        pool = data.get("pool")
        if isinstance(pool, bool) or not isinstance(pool, int) or pool <= 0:
            raise RuleError(f"{path}.pool", f"expected a coupon pool id, got {pool!r}")
        out["pool"] = pool
    elif kind == "survey":
        out["question"] = _text(
            data.get("question"), f"{path}.question", 200, required=True
        )
        choices = data.get("choices")
        if not isinstance(choices, list) or not 2 <= len(choices) <= 5:
            raise RuleError(f"{path}.choices", "expected a list of 2 to 5 choices")
        texts = [
            _text(c, f"{path}.choices[{i}]", 80, required=True)
            for i, c in enumerate(choices)
        ]
        if len(set(texts)) != len(texts):
            raise RuleError(f"{path}.choices", "choices must be different")
        out["choices"] = texts
    for name in TEXT_FIELDS:
        if name in out:
            check_placeholders(out[name], f"{path}.{name}")
    return out


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{int(value):,}" if value.is_integer() else f"{value:,.2f}"
    if isinstance(value, date):
        return value.isoformat()
    return _CONTROL.sub("", str(value)).strip()


def fill(text: str, snapshot: Snapshot, *, name: str | None = None) -> str:
    """``text`` with its placeholders replaced by the visitor's values (their
    default, or nothing, when the value is missing)."""
    if "{{" not in text:
        return text
    page, crm = snapshot.page, snapshot.crm

    def value(match: re.Match[str]) -> str:
        key, default = match.group(1), (match.group(2) or "").strip()
        if key == "name":
            found: Any = name or crm.get("name")
        elif key == "product_name":
            found = page.product_name
        elif key == "category":
            found = page.category
        else:
            found = crm.get(key[4:])
        return _plain(found) or default

    return _SPACES.sub(" ", _PLACEHOLDER.sub(value, text)).strip()


def render_action(
    action: Mapping[str, Any],
    snapshot: Snapshot,
    *,
    name: str | None = None,
    coupon_code: str | None = None,
) -> dict[str, Any]:
    """What the widget gets in an ``offer`` frame: a validated action with its
    placeholders filled from ``snapshot`` (``name``: the visitor's name, else the
    CRM's "name"). Every value is plain text for ``textContent``; the pool id is
    replaced by the assigned ``code`` for coupons."""
    out: dict[str, Any] = {
        "kind": action["kind"],
        "title": fill(action["title"], snapshot, name=name),
        "body": fill(action.get("body") or "", snapshot, name=name),
        "image": action.get("image"),
        "cta": dict(action["cta"]) if action.get("cta") else None,
        "placement": action.get("placement") or "corner",
    }
    kind = action["kind"]
    if kind == "chat_invite":
        # "Chat now" routes to whoever is free, so a rule's invitation names no one:
        # a persona shown as a person "online now" would promise someone else.
        # (Stored rules keep their persona; only a counselor's own invitation from
        # Live visitors names them.)
        out["persona"] = None
    elif kind == "coupon":
        out["code"] = coupon_code
    elif kind == "survey":
        out["question"] = fill(action["question"], snapshot, name=name)
        out["choices"] = list(action["choices"])
    return out
