"""Validation of incoming frames: each helper returns a clean value or raises
FrameError with a code and a sentence the client can show."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from core.text import BadText, text_clean, text_length


class FrameError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def req_int(data: dict, name: str, *, minimum: int = 0) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int):
        raise FrameError("bad_field", f"'{name}' must be an integer.")
    if value < minimum or value > 2**62:
        raise FrameError("bad_field", f"'{name}' is out of range.")
    return value


def opt_int(data: dict, name: str, *, minimum: int = 0) -> int | None:
    return None if data.get(name) is None else req_int(data, name, minimum=minimum)


def req_str(data: dict, name: str, *, max_len: int, allow_empty: bool = False) -> str:
    """A text field under core.text's policy: control characters refused, line
    breaks as LF, the length in UTF-16 units (as the browser counts)."""
    value = data.get(name)
    if not isinstance(value, str):
        raise FrameError("bad_field", f"'{name}' must be a string.")
    try:
        value = text_clean(value)
    except BadText as exc:
        raise FrameError("bad_field", f"'{name}' {exc}.") from None
    if not allow_empty and not value.strip():
        raise FrameError("bad_field", f"'{name}' must not be empty.")
    if text_length(value) > max_len:
        raise FrameError("too_long", f"'{name}' is longer than {max_len} characters.")
    return value


def opt_str(data: dict, name: str, *, max_len: int) -> str | None:
    if data.get(name) is None:
        return None
    return req_str(data, name, max_len=max_len)


def req_bool(data: dict, name: str) -> bool:
    value = data.get(name)
    if not isinstance(value, bool):
        raise FrameError("bad_field", f"'{name}' must be true or false.")
    return value


def client_id(data: dict) -> str:
    value = req_str(data, "client_id", max_len=64)
    if not value.isascii() or not value.isprintable():
        raise FrameError("bad_field", "'client_id' must be printable ASCII.")
    return value


def message_body(data: dict, *, allow_empty: bool = False) -> str:
    return req_str(
        data, "body", max_len=settings.CHAT["MAX_TEXT_CHARS"], allow_empty=allow_empty
    )


def _url(value: Any, name: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 500:
        raise FrameError("bad_field", f"'{name}' must be a URL.")
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise FrameError("bad_field", f"'{name}' must be an http(s) URL.")
    return value


def card_payload(data: dict) -> dict:
    """A product card: title, text, url, image, price, button label."""
    raw = data.get("payload")
    if not isinstance(raw, dict):
        raise FrameError("bad_field", "'payload' must be an object.")
    return {
        "title": req_str(raw, "title", max_len=120),
        "text": opt_str(raw, "text", max_len=500),
        "url": _url(raw.get("url"), "url"),
        "image": _url(raw.get("image"), "image"),
        "price": opt_str(raw, "price", max_len=40),
        "button": opt_str(raw, "button", max_len=40),
    }


FORM_FIELD_TYPES = {"text", "tel", "email", "textarea"}


def form_payload(data: dict) -> dict:
    """A form to fill in: title and up to 10 fields (name, label, type, required)."""
    raw = data.get("payload")
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), list):
        raise FrameError("bad_field", "'payload.fields' must be a list.")
    if not 1 <= len(raw["fields"]) <= 10:
        raise FrameError("bad_field", "A form has 1 to 10 fields.")
    fields = []
    for spec in raw["fields"]:
        if not isinstance(spec, dict):
            raise FrameError("bad_field", "Each form field must be an object.")
        kind = spec.get("type", "text")
        if kind not in FORM_FIELD_TYPES:
            raise FrameError("bad_field", f"Unknown form field type '{kind}'.")
        fields.append(
            {
                "name": req_str(spec, "name", max_len=40),
                "label": req_str(spec, "label", max_len=80),
                "type": kind,
                "required": bool(spec.get("required", False)),
            }
        )
    return {"title": req_str(raw, "title", max_len=120), "fields": fields}
