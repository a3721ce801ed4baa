"""String tests and regular expressions in conditions.

Regular expressions are made safe by refusal, not by a timeout: a pattern is at most
``MAX_PATTERN`` characters and may not repeat (``*``, ``+``, ``{n,}``, ``{n,m}`` with
m > 1) a group that itself contains a repetition or an alternation (``(a+)+``,
``(\\w+/)*``, ``(a|ab)+``): those are the shapes that backtrack exponentially.
Polynomial backtracking (``a*a*a*b``) remains possible; it is bounded by the pattern
cap and by the size limit the tracking layer puts on every reported string.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from targeting.engine.conditions_values import (
    RuleError,
    as_bool,
    as_str,
    as_str_set,
    required,
)

MAX_PATTERN = 200

# --- regular expressions ---------------------------------------------------------

_BRACE = re.compile(r"\{(\d*)(,?)(\d*)\}")


def _quantifier(p: str, i: int) -> tuple[int, bool] | None:
    """(length, repeats more than once) of a quantifier at ``p[i]``, if one is there."""
    c = p[i]
    if c in "*+":
        return 1, True
    if c == "?":
        return 1, False
    if c == "{":
        m = _BRACE.match(p, i)
        if m is None or not (m.group(1) or m.group(3)):
            return None  # a literal brace
        hi = m.group(3)
        unbounded = m.group(2) == ","
        repeats = (unbounded and not hi) or int(hi or m.group(1)) > 1
        return m.end() - i, repeats
    return None


def regex_hazard(p: str) -> str | None:
    """Why a (syntactically valid) pattern may backtrack catastrophically, or None."""
    frames: list[list[bool]] = [[False, False]]  # [contains a repeat, an alternation]
    closed: list[bool] | None = None  # the group just closed, if the last atom was one
    i, n = 0, len(p)
    while i < n:
        c = p[i]
        last, closed = closed, None
        if c == "\\":
            i += 2
        elif c == "[":
            j = i + 1
            j += p.startswith("^", j)
            j += p.startswith("]", j)
            while j < n and p[j] != "]":
                j += 2 if p[j] == "\\" else 1
            i = j + 1
        elif c == "(":
            if p.startswith("(?#", i):
                i = p.index(")", i) + 1
            else:
                frames.append([False, False])
                i += 1
        elif c == ")":
            closed = frames.pop()
            frames[-1][0] |= closed[0]
            frames[-1][1] |= closed[1]
            i += 1
        elif c == "|":
            frames[-1][1] = True
            i += 1
        elif (q := _quantifier(p, i)) is not None:
            length, repeats = q
            if repeats:
                if last is not None and (last[0] or last[1]):
                    return (
                        "a repeated group contains another repetition or an "
                        "alternation (like (a+)+ or (a|ab)*), which can backtrack "
                        "catastrophically; rewrite it, e.g. [ab]+ instead of (a|b)+"
                    )
                frames[-1][0] = True
            i += length
            if i < n and p[i] in "?+":  # lazy or possessive suffix
                i += 1
        else:
            i += 1
    return None


def compile_regex(
    value: Any, path: str, *, ignore_case: bool = False
) -> re.Pattern[str]:
    pattern = as_str(value, path)
    if len(pattern) > MAX_PATTERN:
        raise RuleError(path, f"regex longer than {MAX_PATTERN} characters")
    try:
        compiled = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise RuleError(path, f"invalid regex {pattern!r}: {exc}") from None
    hazard = regex_hazard(pattern)
    if hazard:
        raise RuleError(path, f"unsafe regex {pattern!r}: {hazard}")
    return compiled


def literal_prefix(pattern: str) -> str | None:
    """The literal text every match of a ``^``-anchored pattern starts with."""
    if not pattern.startswith("^") or "|" in pattern:
        return None
    out, i, n = [], 1, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            nxt = pattern[i + 1 : i + 2]
            if not nxt or nxt.isalnum():
                break
            lit, step = nxt, 2
        elif c in ".^$*+?{}[]()|":
            break
        else:
            lit, step = c, 1
        if i + step < n and pattern[i + step] in "*+?{":
            break  # this character is optional or repeated
        out.append(lit)
        i += step
    return "".join(out)


# --- string tests ------------------------------------------------------------------

STR_OPS = (
    "eq",
    "ne",
    "in",
    "not_in",
    "prefix",
    "suffix",
    "contains",
    "regex",
    "exists",
)

StrFn = Callable[[str | None], bool]


class StrTest:
    """A compiled string predicate: ``fn(x)`` with ``x`` None when not reported."""

    __slots__ = ("op", "value", "ignore_case", "fn", "expected", "regex")

    def __init__(
        self,
        op: str,
        value: Any,
        ignore_case: bool,
        fn: StrFn,
        expected: str,
        regex: re.Pattern[str] | None = None,
    ) -> None:
        self.op, self.value, self.ignore_case = op, value, ignore_case
        self.fn, self.expected, self.regex = fn, expected, regex


def _quote_all(values: frozenset[str]) -> str:
    return ", ".join(repr(v) for v in sorted(values))


def parse_str_test(
    d: Mapping[str, Any],
    path: str,
    *,
    ops: Sequence[str] = STR_OPS,
    choices: frozenset[str] | None = None,
) -> StrTest:
    """``{"op": ..., "value": ..., "ignore_case": bool}`` into a ``StrTest``.
    ``domain`` (when in ``ops``) matches a host or any of its subdomains."""
    op = required(d, "op", path)
    if op not in ops:
        raise RuleError(
            f"{path}.op", f"unknown op {op!r}; expected one of {', '.join(ops)}"
        )
    ic = as_bool(d.get("ignore_case", False), f"{path}.ignore_case")
    vpath = f"{path}.value"
    raw = d.get("value", True) if op == "exists" else required(d, "value", path)
    fn: StrFn
    regex = None
    if op == "exists":
        want = as_bool(raw, vpath)
        return StrTest(
            op, want, False, lambda x: bool(x) is want, "present" if want else "absent"
        )
    if op == "regex":
        regex = compile_regex(raw, vpath, ignore_case=ic)
        search = regex.search
        fn = lambda x: x is not None and search(x) is not None  # noqa: E731
        return StrTest(op, raw, ic, fn, f"matches /{raw}/", regex)
    norm: Callable[[str], str] = str.lower if ic or op == "domain" else str
    if op in ("in", "not_in", "domain"):
        values = frozenset(map(norm, as_str_set(raw, vpath)))
        value: Any = values
    else:
        value = norm(as_str(raw, vpath))
    if choices is not None:
        bad = (values if op in ("in", "not_in") else {value}) - choices
        if bad:
            raise RuleError(
                vpath, f"unknown value {min(bad)!r}; expected {_quote_all(choices)}"
            )
    match op:
        case "eq":
            fn, expected = (lambda x: x == value), f"= {value!r}"
        case "ne":
            fn, expected = (lambda x: x != value), f"!= {value!r}"
        case "in":
            fn, expected = (lambda x: x in values), f"one of {_quote_all(values)}"
        case "not_in":
            fn = lambda x: x not in values  # noqa: E731
            expected = f"none of {_quote_all(values)}"
        case "prefix":
            fn = lambda x: x is not None and x.startswith(value)  # noqa: E731
            expected = f"starts with {value!r}"
        case "suffix":
            fn = lambda x: x is not None and x.endswith(value)  # noqa: E731
            expected = f"ends with {value!r}"
        case "contains":
            fn = lambda x: x is not None and value in x  # noqa: E731
            expected = f"contains {value!r}"
        case _:  # domain
            suffixes = tuple("." + v for v in values)

            def fn(x: str | None) -> bool:
                return bool(x) and (x in values or x.endswith(suffixes))  # type: ignore[union-attr]

            expected = f"domain {' or '.join(sorted(values))}"
    if ic and op != "domain":
        inner = fn
        fn = lambda x: inner(x.lower() if x is not None else None)  # noqa: E731
        expected += " (ignoring case)"
    return StrTest(op, value, ic, fn, expected)
