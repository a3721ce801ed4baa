"""JSON in and out of sockets: orjson, text frames."""

from typing import Any

import orjson


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


loads = orjson.loads
JSONDecodeError = orjson.JSONDecodeError
