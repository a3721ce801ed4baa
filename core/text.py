"""The one policy for text that comes from outside (docs/protocol.md, "Text fields").

- Refused: C0 control characters other than TAB, LF and CR (NUL among them), DEL, C1
  control characters, and UTF-16 surrogate code points. PostgreSQL stores no NUL, and
  a lone surrogate cannot be encoded as UTF-8: either would fail the whole write it
  is part of, so they are stopped at the edge, where the client can be told which
  field is wrong.
- Line breaks CRLF and CR become LF, so one text is stored one way.
- Lengths are counted in UTF-16 code units, as browsers count (`String.length`,
  `maxlength`): a character outside the Basic Multilingual Plane, most emoji, counts
  2. PostgreSQL's varchar(n) counts code points, which are never more, so a text
  within its limit always fits its column.

Fields people type are refused with an error naming the field (`text_clean`);
values recorded about a request (User-Agent, request path, inflow strings the
widget copies from the page address) are cleaned instead (`text_strip`), since
nobody could correct them.
"""

from __future__ import annotations

import re

_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n?")


class BadText(ValueError):
    """A refused character; the message names it (U+0000)."""

    def __init__(self, char: str) -> None:
        self.char = char
        super().__init__(f"contains a control character (U+{ord(char):04X})")


def text_clean(value: str) -> str:
    """`value` with its line breaks as LF, or BadText for a refused character."""
    bad = _REFUSED.search(value)
    if bad is not None:
        raise BadText(bad.group())
    return _LINE_BREAK.sub("\n", value) if "\r" in value else value


def text_strip(value: str, *, max_len: int | None = None) -> str:
    """`value` without refused characters, cut to `max_len` UTF-16 units."""
    value = _REFUSED.sub("", value)
    if "\r" in value:
        value = _LINE_BREAK.sub("\n", value)
    if max_len is not None and text_length(value) > max_len:
        value = text_cut(value, max_len)
    return value


def text_length(value: str) -> int:
    """Length in UTF-16 code units (what a browser's `String.length` says)."""
    if value.isascii():
        return len(value)
    return len(value.encode("utf-16-le", "surrogatepass")) // 2


def text_cut(value: str, max_len: int) -> str:
    """The longest prefix of at most `max_len` UTF-16 units, never half a pair."""
    if text_length(value) <= max_len:
        return value
    units = 0
    for index, char in enumerate(value):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > max_len:
            return value[:index]
    return value
