"""What every REST endpoint shares (config/settings REST_FRAMEWORK): JSON bodies
decoded with a bound on nesting, OPTIONS answered for every view, and text fields
under core.text's policy."""

from __future__ import annotations

from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.metadata import SimpleMetadata
from rest_framework.parsers import JSONParser

from core.jsonutil import TooDeep, loads_bounded
from core.text import BadText, text_clean, text_length


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser with the nesting bounded before decoding: the standard
    decoder recurses once per level, and a few hundred levels raised
    RecursionError (HTTP 500) instead of a 400."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        try:
            return loads_bounded(raw)
        except TooDeep as exc:
            raise ParseError(str(exc)) from None
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


class Metadata(SimpleMetadata):
    """OPTIONS on any view. Output-only serializers (BaseSerializer wrappers of the
    payload builders) have no `fields` to describe; SimpleMetadata failed on them
    with AttributeError (HTTP 500)."""

    def get_serializer_info(self, serializer):
        if not hasattr(serializer, "fields"):
            return {}
        return super().get_serializer_info(serializer)


class TextField(serializers.CharField):
    """A CharField under core.text's policy: control characters refused, line
    breaks as LF, `max_length` counted in UTF-16 units like the browser."""

    default_error_messages = {
        "control": "Remove the control character (U+{point:04X}).",
        "max_length": "Ensure this field has no more than {max_length} characters.",
    }

    def __init__(self, **kwargs):
        self.text_max = kwargs.pop("max_length", None)
        super().__init__(**kwargs)
        self.max_length = self.text_max  # described by OPTIONS and the schema

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            value = text_clean(value)
        except BadText as exc:
            self.fail("control", point=ord(exc.char))
        if self.text_max is not None and text_length(value) > self.text_max:
            self.fail("max_length", max_length=self.text_max)
        return value
