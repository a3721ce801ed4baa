"""The callback form's phone rule: the browser's check (widget fragment
73-phone.js, run in node) against the server's (leads.forms.normalize_phone), on
written-out and generated numbers. The browser must never refuse a number the server
takes, and for the region's own numbers the two must agree."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from leads.forms import normalize_phone
from leads.phonerule import phone_rule

FRAGMENT = Path(__file__).resolve().parents[2] / "chat/static/chat/widget/73-phone.js"
NODE = shutil.which("node") or shutil.which("nodejs")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed")

WRITTEN = [
    "010-1234-5678", "010 1234 5678", "01012345678", "+82 10-1234-5678",
    "+82 010 1234 5678", "821012345678", "02-123-4567", "02-1234-5678",
    "031-123-4567", "1588-1234", "070-1234-5678", "080-123-4567", "(02) 555 1212",
    "010-12", "010-1234-567", "010-1234-56789", "1", "12", "011-123-4567",
    "010.1234.5678", "０１０－１２３４－５６７８", "+1 415 555 2671",
    "+44 20 7946 0958",
    "+86 10 1234 5678", "+82 2 123 4567", "+82 99", "010", "0", "00",
    "+81 3-1234-5678", "010-0000-0000", "0505-123-4567", "050-1234-5678",
]  # fmt: skip


def browser_verdicts(numbers: list[str], rule: dict) -> list[bool]:
    script = (
        FRAGMENT.read_text()
        + "\nconst input = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        + "\nprocess.stdout.write(JSON.stringify("
        + "input.numbers.map((n) => phoneLooksValid(n, input.rule))));"
    )
    done = subprocess.run(
        [NODE, "-e", script],
        input=json.dumps({"numbers": numbers, "rule": rule}),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(done.stdout)


def server_takes(number: str, region: str) -> bool:
    try:
        normalize_phone(number, region=region)
    except ValueError:
        return False
    return True


def generated(count: int) -> list[str]:
    pick = random.Random(8)
    starts = ["010", "011", "016", "02", "031", "051", "064", "070", "080",
              "1588", "15", "050", "0505", "060", "00", "82", "8210", "+8210",
              "+822", "1", "011", "0082", "001"]  # fmt: skip
    numbers = []
    for _ in range(count):
        start = pick.choice(starts)
        tail = "".join(pick.choice("0123456789") for _ in range(pick.randint(0, 10)))
        numbers.append(start + tail)
    return numbers


@pytest.mark.parametrize("region", ["KR", "US"])
def test_the_browser_and_the_server_judge_numbers_alike(region):
    rule = phone_rule(region)
    numbers = WRITTEN + generated(4000)
    browser = browser_verdicts(numbers, rule)
    wrongly_refused = [
        n for n, ok in zip(numbers, browser, strict=True)
        if not ok and server_takes(n, region)
    ]  # fmt: skip
    assert wrongly_refused == []
    own = [
        (n, ok) for n, ok in zip(numbers, browser, strict=True)
        if not re.match(rule["international_prefix"], n.lstrip("+"))
        and (not n.startswith("+") or n.startswith(f"+{rule['country_code']}"))
    ]  # fmt: skip
    disagree = [n for n, ok in own if ok != server_takes(n, region)]
    assert disagree == []
    # The examples the widget and the server name are judged as such.
    if region == "KR":
        verdict = dict(zip(numbers, browser, strict=True))
        assert verdict["010-1234-5678"] and verdict["+82 10-1234-5678"]
        assert not verdict["010-12"] and not verdict["010-1234-56789"]


@pytest.mark.django_db
def test_the_rule_is_in_the_form_config(client):
    from tests.factories import LeadSettingsFactory, SiteFactory

    site = SiteFactory(allowed_origins="https://shop.example")
    LeadSettingsFactory(site=site, phone_region="KR")
    response = client.get(
        "/public/v1/lead-form",
        {"site": site.public_key, "lang": "ko"},
        HTTP_ORIGIN="https://shop.example",
    )
    assert response.status_code == 200
    assert response.json()["phone"] == phone_rule("KR")
    assert response.json()["phone"]["region"] == "KR"
