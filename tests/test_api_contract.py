"""Every URL under /api/ answers routine requests without a server error: OPTIONS
(what a client or CORS preflight asks first) and `Accept: text/html` (a browser
opening the URL), for a signed-in manager who may see everything. The routes are
read from the URL resolver, so an endpoint added later is covered without edits."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from chat.models import Conversation, CounselorProfile
from targeting.models import Rule
from tests.factories import (
    CounselorFactory,
    LeadFactory,
    LeadSettingsFactory,
    SiteFactory,
    VisitorFactory,
)

pytestmark = pytest.mark.django_db


def _routes(patterns, prefix: str = ""):
    """(route text, url name) of every endpoint, regex and path() routes alike."""
    for entry in patterns:
        text = prefix + str(entry.pattern).lstrip("^").rstrip("$")
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, text)
        elif isinstance(entry, URLPattern):
            yield text, entry.name or ""


# One real object of the manager's site for each kind of id a route can take.
_GROUP = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:(\w+):)?(\w+)>")


def _fill(route: str, name: str, ids: dict[str, str]) -> str | None:
    if not route.startswith("api/"):
        return None

    def value(match: re.Match) -> str:
        group = match.group(1) or match.group(3)
        if group == "format":
            return "json"
        if group == "public_id":
            return ids["visitor"]
        kind = name.split("-")[0]
        assert kind in ids, f"no test object for {name!r} ({route}): add one"
        return ids[kind]

    return "/" + _GROUP.sub(value, route).replace("\\.", ".").replace("/?", "")


@pytest.fixture
def manager_urls():
    site = SiteFactory()
    LeadSettingsFactory(site=site)
    manager = CounselorFactory(sites=[site], role=CounselorProfile.Role.MANAGER)
    visitor = VisitorFactory(site=site)
    conversation = Conversation.objects.create(site=site, visitor=visitor)
    lead = LeadFactory(site=site)
    rule = Rule.objects.create(
        site=site,
        name="r",
        condition={"all": []},
        action={"kind": "banner", "title": "t"},
    )
    ids = {
        "conversation": str(conversation.pk),
        "lead": str(lead.pk),
        "rule": str(rule.pk),
        "visitor": str(visitor.public_id),
    }
    urls = sorted(
        {
            url
            for route, name in _routes(get_resolver().url_patterns)
            if (url := _fill(route, name, ids))
        }
    )
    client = APIClient()
    client.force_login(manager.user)
    return client, urls


def test_the_walk_finds_the_endpoints(manager_urls):
    _, urls = manager_urls
    for expected in (
        "/api/conversations/",
        "/api/leads/person-erase/",
        "/api/targeting/rules/",
        "/api/visitors/live/",
    ):
        assert expected in urls
    assert any(re.fullmatch(r"/api/leads/\d+/notes/", url) for url in urls)


@pytest.mark.parametrize(
    "method,accept",
    [("options", "application/json"), ("get", "text/html"), ("options", "text/html")],
)
def test_no_api_url_answers_a_server_error(manager_urls, method, accept):
    client, urls = manager_urls
    failures = {}
    for url in urls:
        try:
            response = getattr(client, method)(url, HTTP_ACCEPT=accept)
        except Exception as exc:  # the test client re-raises a view's exception
            failures[url] = repr(exc)
            continue
        if response.status_code >= 500:
            failures[url] = response.status_code
    assert not failures, "\n".join(f"{u}: {e}" for u, e in sorted(failures.items()))


def test_options_describes_what_an_action_takes(manager_urls):
    client, urls = manager_urls
    notes = next(url for url in urls if re.fullmatch(r"/api/leads/\d+/notes/", url))
    response = client.options(notes)
    assert response.status_code == 200
    assert response.json()["actions"]["POST"]["text"]["max_length"] == 4000
    erase = client.options("/api/leads/person-erase/").json()
    assert set(erase["actions"]["POST"]) == {"site", "phone", "email"}


def test_html_only_clients_are_told_json_and_browsers_get_it(manager_urls):
    client, _ = manager_urls
    assert client.get("/api/leads/", HTTP_ACCEPT="text/html").status_code == 406
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/api/leads/", HTTP_ACCEPT=browser)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
