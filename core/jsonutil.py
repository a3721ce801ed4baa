"""JSON in and out of sockets (orjson, text frames), and JSON from users bounded in
depth before it is decoded."""

import re
from itertools import accumulate, repeat
from operator import sub
from typing import Any

import orjson


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


# Socket frames: orjson refuses more than 1,024 levels itself (JSONDecodeError,
# answered `bad_json`), without recursing in Python.
loads = orjson.loads
JSONDecodeError = orjson.JSONDecodeError

# No document we accept nests deeper than a rule's condition (8 groups, 2 levels
# each, and the leaf): the bound leaves room, and stops the documents that made the
# standard decoder, and everything that walks a decoded value, recurse too deep.
MAX_DEPTH = 64

_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
# Brackets kept (opening as 2, closing as 0, so minus one is +1 / -1), the rest
# deleted: the nesting is the highest running sum, all in C loops.
_OTHERS = bytes(set(range(256)) - set(b"[]{}"))
_STEPS = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")


class TooDeep(ValueError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested more than {limit} levels deep.")
        self.limit = limit


def json_depth(raw: bytes | str) -> int:
    """The deepest nesting of arrays and objects in `raw`, brackets inside strings
    not counted; C-speed scans, no decoding."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    steps = _STRING.sub(b"", raw).translate(_STEPS, _OTHERS)
    return max(accumulate(map(sub, steps, repeat(1))), default=0)


def check_depth(raw: bytes | str, *, limit: int = MAX_DEPTH) -> None:
    if json_depth(raw) > limit:
        raise TooDeep(limit)


def loads_bounded(raw: bytes | str, *, limit: int = MAX_DEPTH) -> Any:
    """A user's JSON document: TooDeep past `limit` levels, ValueError when it is
    not JSON (orjson: strict UTF-8, no NaN, no lone surrogates)."""
    check_depth(raw, limit=limit)
    return orjson.loads(raw)
