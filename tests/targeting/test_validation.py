"""Bad conditions are refused at compile time with the JSON path and a clear message."""

import pytest

from targeting.engine.conditions import MAX_DEPTH, MAX_LEAVES, compile_condition
from targeting.engine.conditions_text import literal_prefix, regex_hazard
from targeting.engine.conditions_values import RuleError

YES = {"field": "returning"}


def refused(defn) -> RuleError:
    with pytest.raises(RuleError) as info:
        compile_condition(defn)
    err = info.value
    assert str(err) == f"{err.path}: {err.message}"
    return err


@pytest.mark.parametrize(
    ("defn", "path", "message"),
    [
        # shape
        ([YES], "$", "expected an object"),
        ({}, "$", "expected a group ('all', 'any' or 'not') or a leaf"),
        ({"all": [YES], "any": [YES]}, "$", "got keys 'all', 'any'"),
        ({"every": [YES]}, "$", "got keys 'every'"),
        ({"all": {"field": "returning"}}, "$.all", "expected a list of conditions"),
        ({"not": [YES]}, "$.not", "expected an object"),
        # empty groups
        ({"all": []}, "$.all", "empty 'all' group"),
        ({"all": [YES, {"any": []}]}, "$.all[1].any", "empty 'any' group"),
        # unknown field / key / op
        (
            {"field": "dwel", "gte": 1},
            "$.field",
            "unknown field 'dwel' (did you mean 'dwell'?)",
        ),
        (
            {"any": [YES, {"field": "colour"}]},
            "$.any[1].field",
            "unknown field 'colour'",
        ),
        ({"field": 3}, "$.field", "unknown field 3"),
        ({"field": "dwell", "gte": 1, "gtee": 2}, "$.gtee", "unknown key 'gtee'"),
        (
            {"field": "category_views", "catgory": "bags"},
            "$.catgory",
            "(did you mean 'category'?)",
        ),
        (
            {"field": "url", "op": "startswith", "value": "/"},
            "$.op",
            "unknown op 'startswith'",
        ),
        (
            {"field": "url", "op": "domain", "value": "a.com"},
            "$.op",
            "unknown op 'domain'",
        ),
        (
            {"field": "device", "op": "prefix", "value": "mob"},
            "$.op",
            "unknown op 'prefix'",
        ),
        (
            {"field": "crm", "attr": "a", "op": "like", "value": 1},
            "$.op",
            "unknown op 'like'",
        ),
        ({"field": "checkout", "op": "left", "step": "x"}, "$.op", "unknown op 'left'"),
        # missing keys
        ({"field": "url", "value": "/"}, "$", "missing 'op'"),
        ({"field": "url", "op": "eq"}, "$", "missing 'value'"),
        ({"field": "category_views", "within": "7d"}, "$", "missing 'category'"),
        ({"field": "crm", "op": "eq", "value": 1}, "$", "missing 'attr'"),
        ({"field": "time_of_day", "from": "21:00"}, "$", "missing 'to'"),
        ({"field": "checkout", "op": "stuck", "step": "pay"}, "$", "missing 'for'"),
        ({"field": "weekday"}, "$", "missing 'in'"),
        ({"field": "dwell"}, "$", "needs a bound"),
        ({"field": "purchase_total", "within": "6mo"}, "$", "needs a bound"),
        ({"field": "cart_contains"}, "$", "needs 'product' or 'category'"),
        # wrong value types
        (
            {"field": "url", "op": "eq", "value": 5},
            "$.value",
            "expected a non-empty string",
        ),
        (
            {"field": "url", "op": "eq", "value": ""},
            "$.value",
            "expected a non-empty string",
        ),
        (
            {"field": "path", "op": "in", "value": []},
            "$.value",
            "expected a string or a list",
        ),
        (
            {"field": "path", "op": "in", "value": ["/a", 2]},
            "$.value[1]",
            "non-empty string",
        ),
        (
            {"field": "url", "op": "exists", "value": "yes"},
            "$.value",
            "expected true or false",
        ),
        (
            {"field": "path", "op": "eq", "value": "/", "ignore_case": 1},
            "$.ignore_case",
            "true or false",
        ),
        ({"field": "returning", "value": "yes"}, "$.value", "expected true or false"),
        ({"field": "visits", "gte": "3"}, "$.gte", "expected a number"),
        ({"field": "visits", "gte": True}, "$.gte", "expected a number"),
        (
            {"field": "device", "op": "eq", "value": "phone"},
            "$.value",
            "unknown value 'phone'",
        ),
        (
            {"field": "device", "op": "in", "value": ["mobile", "tv"]},
            "$.value",
            "unknown value 'tv'",
        ),
        ({"field": "crm", "attr": "", "op": "exists"}, "$.attr", "non-empty string"),
        (
            {"field": "crm", "attr": "a", "op": "eq", "value": [1]},
            "$.value",
            "expected a string, number",
        ),
        (
            {"field": "crm", "attr": "a", "op": "in", "value": []},
            "$.value",
            "non-empty list",
        ),
        (
            {"field": "crm", "attr": "a", "op": "in", "value": [{}]},
            "$.value[0]",
            "expected a scalar",
        ),
        (
            {"field": "crm", "attr": "a", "op": "gt", "value": "abc"},
            "$.value",
            "a number or an ISO date",
        ),
        (
            {"field": "crm", "attr": "a", "op": "contains", "value": 1},
            "$.value",
            "non-empty string",
        ),
        (
            {"field": "crm", "attr": "a", "op": "within_next_days", "value": -1},
            "$.value",
            "integer >= 0",
        ),
        (
            {"field": "crm", "attr": "a", "op": "within_last_days", "value": True},
            "$.value",
            "integer >= 0",
        ),
        (
            {"field": "crm", "attr": "a", "op": "before", "value": "soon"},
            "$.value",
            "ISO date or a number of days",
        ),
        (
            {"field": "time_of_day", "from": "9pm", "to": "09:00"},
            "$.from",
            "expected a time like",
        ),
        (
            {"field": "time_of_day", "from": "25:00", "to": "09:00"},
            "$.from",
            "expected a time like",
        ),
        (
            {"field": "time_of_day", "from": "09:00", "to": "09:00"},
            "$.to",
            "empty range",
        ),
        ({"field": "weekday", "in": ["funday"]}, "$.in[0]", "expected mon..sun"),
        ({"field": "weekday", "in": [7]}, "$.in[0]", "expected mon..sun"),
        ({"field": "weekday", "in": []}, "$.in", "at least one weekday"),
        ({"field": "checkout", "op": "on", "step": [1]}, "$.step", "non-empty string"),
        (
            {"field": "checkout", "op": "on", "step": "x", "for": "1m"},
            "$.for",
            "only applies to op 'stuck'",
        ),
        (
            {"field": "offers", "outcome": "clicked"},
            "$.outcome",
            "unknown outcome 'clicked'",
        ),
        ({"field": "offers", "rule": True}, "$.rule", "expected a rule id"),
        # bounds
        ({"field": "visits", "gte": 1, "min": 2}, "$.min", "conflicts with 'gte'"),
        ({"field": "visits", "lt": 1, "max": 2}, "$.lt", "conflicts with 'max'"),
        ({"field": "visits", "eq": 1, "max": 2}, "$.eq", "cannot be combined"),
        ({"field": "visits", "min": 5, "max": 3}, "$", "empty range"),
        ({"field": "visits", "gt": 3, "lt": 3}, "$", "empty range"),
        ({"field": "dwell", "eq": 60}, "$.eq", "not allowed here"),
        # durations
        ({"field": "dwell", "gte": "60 seconds"}, "$.gte", "bad duration '60 seconds'"),
        ({"field": "dwell", "gte": "-5s"}, "$.gte", "bad duration"),
        ({"field": "dwell", "gte": True}, "$.gte", "bad duration"),
        ({"field": "dwell", "gte": "500d"}, "$.gte", "longer than 400 days"),
        (
            {"field": "category_views", "category": "b", "within": "7days"},
            "$.within",
            "bad duration '7days'",
        ),
        (
            {"field": "category_views", "category": "b", "within": 0},
            "$.within",
            "must be positive",
        ),
        ({"field": "purchased", "within": "forever"}, "$.within", "bad duration"),
        (
            {"field": "checkout", "op": "stuck", "step": "p", "for": "10x"},
            "$.for",
            "bad duration",
        ),
        # regexes
        (
            {"field": "path", "op": "regex", "value": "("},
            "$.value",
            "invalid regex '('",
        ),
        ({"field": "path", "op": "regex", "value": "[a-"}, "$.value", "invalid regex"),
        (
            {"field": "path", "op": "regex", "value": "a" * 201},
            "$.value",
            "longer than 200",
        ),
        (
            {"field": "path", "op": "regex", "value": "^(a+)+$"},
            "$.value",
            "unsafe regex",
        ),
        (
            {"field": "keyword", "op": "regex", "value": r"(\w+\s?)*$"},
            "$.value",
            "unsafe regex",
        ),
        (
            {"field": "url", "op": "regex", "value": "(a|ab)+c"},
            "$.value",
            "unsafe regex",
        ),
        (
            {"field": "searches", "op": "regex", "value": "(?:x*){2,}"},
            "$.value",
            "unsafe regex",
        ),
    ],
)
def test_refused_with_path(defn, path, message):
    err = refused(defn)
    assert err.path == path
    assert message in err.message


def test_depth_limit():
    leaf = YES
    for _ in range(MAX_DEPTH):
        leaf = {"not": leaf}
    compile_condition(leaf)  # 8 groups deep is fine
    err = refused({"all": [leaf]})
    assert err.path == "$.all[0]" + ".not" * (MAX_DEPTH - 1)
    assert "nested more than 8 deep" in err.message


def test_leaf_limit():
    compile_condition({"all": [YES] * MAX_LEAVES})
    err = refused({"all": [YES] * MAX_LEAVES + [{"any": [YES]}]})
    assert err.path == "$.all[50].any[0]"
    assert "more than 50 conditions" in err.message


@pytest.mark.parametrize(
    "pattern",
    [
        r"^/p/(\d+)$",
        "(ab)+",
        "(https?://)?shop",
        r"a{2}(b)+",
        "[(a+)+]",  # inside a class: literal characters
        r"\(a+\)+",  # escaped parentheses: no group
        "(?:bags|shoes)/",  # alternation, not repeated
        r"(\.html?)+",  # '?' is not a repetition
        "x{,1}(a*)?",
        "(?#a comment: (a+]+)ok(b)+",
    ],
)
def test_safe_patterns_are_accepted(pattern):
    assert regex_hazard(pattern) is None
    compile_condition({"field": "path", "op": "regex", "value": pattern})


@pytest.mark.parametrize(
    "pattern",
    ["(a+)+", "(a*)*", "((ab)*c)+", "(a|b)*", "((a|b)c){2,}", "(a+){3,5}", "(x+)+?"],
)
def test_nested_repetition_is_refused(pattern):
    assert regex_hazard(pattern) is not None


@pytest.mark.parametrize(
    ("pattern", "prefix"),
    [
        (r"^/bags/\d+$", "/bags/"),
        (r"^/cards/apply", "/cards/apply"),
        (r"^/ba?g", "/b"),
        (r"^/a\.b/", "/a.b/"),
        (r"^/a\d", "/a"),
        ("/bags/", None),  # not anchored
        ("^/a|^/b", None),
    ],
)
def test_literal_prefix(pattern, prefix):
    assert literal_prefix(pattern) == prefix


def test_accepted_durations():
    for value in (90, 1.5, "90s", "10m", "1.5h", "7d", "2w", "6mo", " 1H "):
        compile_condition({"field": "dwell", "gte": value})
