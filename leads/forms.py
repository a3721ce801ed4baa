"""Validation of what visitors submit: the callback-request form (HTTP) and in-chat
lead forms (WebSocket). Each returns a clean `LeadInput` or a dict of per-field
messages, translated into the visitor's language, that the widget shows in the form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.text import BadText, text_clean, text_cut, text_length, text_strip

MAX_NAME = 80
MAX_MESSAGE = 2000
MAX_FIELD = 500
INFLOW_KEYS = (
    "referrer",
    "landing",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "keyword",
)


@dataclass
class LeadInput:
    name: str
    phone: str = ""
    email: str = ""
    message: str = ""
    callback_at: datetime | None = None
    marketing_consent: bool = False
    notice_version: str = ""
    fields: dict = field(default_factory=dict)
    inflow: dict = field(default_factory=dict)


class FormInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def normalize_phone(raw: str, *, region: str) -> str:
    """E.164, or ValueError. Numbers without a country code are read in `region`."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(e164: str, *, region: str) -> str:
    """How the number is written for a counselor in `region` (national if local)."""
    if not e164:
        return ""
    number = phonenumbers.parse(e164, None)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == region
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def normalize_email(raw: str) -> str:
    """Lowercased whole: mail systems treat the local part case-insensitively in
    practice, and one person must not become two leads by their Shift key."""
    value = raw.strip()
    validate_email(value)
    return value.lower()


def _text(data: dict, name: str, *, max_len: int) -> str:
    """core.text's policy: control characters refused (BadText), the length in
    UTF-16 units like the form's `maxlength`."""
    value = data.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError
    value = text_clean(value).strip()
    if text_length(value) > max_len:
        raise OverflowError
    return value


def _get(data: dict, name: str, max_len: int, errors: dict) -> str:
    try:
        return _text(data, name, max_len=max_len)
    except TypeError:
        errors[name] = _("Enter text.")
    except BadText:
        errors[name] = _("Remove the invisible control characters.")
    except OverflowError:
        errors[name] = _("Use at most %(n)d characters.") % {"n": max_len}
    return ""


def clean_inflow(raw) -> dict:
    """Referrer, landing page, UTM parameters and search keyword, trimmed. The
    widget copies them from the page address, nobody types them: refused
    characters are removed rather than refused (core.text)."""
    if not isinstance(raw, dict):
        return {}
    cleaned = {
        key: text_strip(raw[key], max_len=500)
        for key in INFLOW_KEYS
        if isinstance(raw.get(key), str)
    }
    return {key: value for key, value in cleaned.items() if value}


def _contact(data: dict, errors: dict, *, region: str, phone_required: bool):
    phone_raw = _get(data, "phone", 40, errors)
    phone = ""
    if phone_raw:
        try:
            phone = normalize_phone(phone_raw, region=region)
        except ValueError:
            errors["phone"] = _(
                "Enter a valid phone number, for example 010-1234-5678."
            )
    elif phone_required and "phone" not in errors:
        errors["phone"] = _("Enter your phone number so we can call you back.")
    email_raw = _get(data, "email", 254, errors)
    email = ""
    if email_raw:
        try:
            email = normalize_email(email_raw)
        except ValidationError:
            errors["email"] = _("Enter a valid e-mail address.")
    return phone, email


def _consent(data: dict, errors: dict, *, notice_version: str) -> tuple[bool, str]:
    consent = data.get("consent")
    if not isinstance(consent, dict) or consent.get("collection") is not True:
        errors["consent"] = _(
            "Please agree to the collection and use of your personal information."
        )
        return False, notice_version
    version = consent.get("notice_version")
    if version != notice_version:
        # The visitor agreed to another text than the one in force: show it again.
        errors["consent"] = _("The privacy notice has changed; please review it.")
    return consent.get("marketing") is True, notice_version


def clean_callback(data: dict, *, region: str, notice_version: str) -> LeadInput:
    """The callback-request form: name, phone, e-mail, slot, message, consent."""
    if not isinstance(data, dict):
        raise FormInvalid({"form": _("The form could not be read.")})
    errors: dict[str, str] = {}
    name = _get(data, "name", MAX_NAME, errors)
    if not name and "name" not in errors:
        errors["name"] = _("Enter your name.")
    phone, email = _contact(data, errors, region=region, phone_required=True)
    message = _get(data, "message", MAX_MESSAGE, errors)
    callback_at = None
    slot = data.get("slot")
    if slot not in (None, ""):
        parsed = parse_datetime(slot) if isinstance(slot, str) else None
        if parsed is None or parsed.tzinfo is None:
            errors["slot"] = _("Choose a callback time from the list.")
        else:
            callback_at = parsed
    marketing, version = _consent(data, errors, notice_version=notice_version)
    if errors:
        raise FormInvalid(errors)
    return LeadInput(
        name=name,
        phone=phone,
        email=email,
        message=message,
        callback_at=callback_at,
        marketing_consent=marketing,
        notice_version=version,
        inflow=clean_inflow(data.get("inflow")),
    )


CORE_FIELDS = {"name", "phone", "email", "message"}
# What the widget renders: the counselor socket takes the same (`form` messages,
# chat/consumers/frames.py); checked here too so that saving a site's lead form
# (LeadSettings.clean) never imports the socket layer.
CHAT_FORM_FIELD_TYPES = frozenset({"text", "tel", "email", "textarea"})


class ChatFormInvalid(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _spec_text(data: dict, name: str, *, max_len: int) -> str:
    value = data.get(name)
    if not isinstance(value, str):
        raise ChatFormInvalid(f"'{name}' must be a string.")
    try:
        value = text_clean(value)
    except BadText as exc:
        raise ChatFormInvalid(f"'{name}' {exc}.") from None
    if not value.strip():
        raise ChatFormInvalid(f"'{name}' must not be empty.")
    if text_length(value) > max_len:
        raise ChatFormInvalid(f"'{name}' is longer than {max_len} characters.")
    return value


def chat_form_shape(form: object) -> dict:
    """A site's in-chat lead form as the widget can render it: a title and 1-10
    fields (name, label, type, required). Raises ChatFormInvalid."""
    if not isinstance(form, dict) or not isinstance(form.get("fields"), list):
        raise ChatFormInvalid("'payload.fields' must be a list.")
    if not 1 <= len(form["fields"]) <= 10:
        raise ChatFormInvalid("A form has 1 to 10 fields.")
    fields = []
    for spec in form["fields"]:
        if not isinstance(spec, dict):
            raise ChatFormInvalid("Each form field must be an object.")
        kind = spec.get("type", "text")
        if kind not in CHAT_FORM_FIELD_TYPES:
            raise ChatFormInvalid(f"Unknown form field type '{kind}'.")
        fields.append(
            {
                "name": _spec_text(spec, "name", max_len=40),
                "label": _spec_text(spec, "label", max_len=80),
                "type": kind,
                "required": bool(spec.get("required", False)),
            }
        )
    return {"title": _spec_text(form, "title", max_len=120), "fields": fields}


def clean_chat_form(
    form: dict, values, consent: dict, *, region: str, notice_version: str
) -> LeadInput:
    """An in-chat form as the counselor sent it (`form` is the stored payload) and
    the visitor's values: required fields, types, lengths, and consent."""
    if not isinstance(values, dict):
        raise FormInvalid({"form": _("The form could not be read.")})
    errors: dict[str, str] = {}
    specs = {spec["name"]: spec for spec in form.get("fields", [])}
    extra: dict[str, str] = {}
    texts: dict[str, str] = {}
    for name, spec in specs.items():
        if name in CORE_FIELDS and spec["type"] in {"tel", "email"}:
            continue
        value = texts[name] = _get(
            values, name, MAX_MESSAGE if name == "message" else MAX_FIELD, errors
        )
        if spec.get("required") and not value and name not in errors:
            errors[name] = _("This field is required.")
        if name not in CORE_FIELDS and value:
            extra[name] = value
    phone_spec = specs.get("phone")
    phone, email = _contact(
        values,
        errors,
        region=region,
        phone_required=bool(phone_spec and phone_spec.get("required")),
    )
    email_spec = specs.get("email")
    if (
        email_spec
        and email_spec.get("required")
        and not email
        and "email" not in errors
    ):
        errors["email"] = _("Enter a valid e-mail address.")
    if not phone and not email and "phone" not in errors and "email" not in errors:
        errors["phone" if phone_spec else "email"] = _(
            "Leave a phone number or an e-mail address."
        )
    marketing, version = _consent(
        {"consent": consent}, errors, notice_version=notice_version
    )
    if errors:
        raise FormInvalid(errors)
    return LeadInput(
        name=text_cut(texts.get("name", ""), MAX_NAME),
        phone=phone,
        email=email,
        message=texts.get("message", ""),
        marketing_consent=marketing,
        notice_version=version,
        fields=extra,
    )
