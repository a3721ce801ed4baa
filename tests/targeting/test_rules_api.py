"""The managers' targeting API and the preview behind it: scoping (manager of
site A vs site B, counselors refused), results, and "which condition fails"."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from chat.models import CounselorProfile
from targeting import live
from targeting.models import Offer
from targeting.services.preview import preview_text, rule_preview
from targeting.services.rules import variant_for
from tests.factories import CounselorFactory, SiteFactory, VisitorFactory
from tests.targeting.rulesutil import on_bags_page, rule_make

URL = "/api/targeting/rules/"
MANAGER = CounselorProfile.Role.MANAGER


def client_for(profile=None) -> APIClient:
    client = APIClient()
    if profile is not None:
        client.force_authenticate(profile.user)
    return client


@pytest.fixture
def world(db):
    site_a, site_b = SiteFactory(), SiteFactory()
    return SimpleNamespace(
        site_a=site_a,
        site_b=site_b,
        rule_a=rule_make(site_a, name="A's rule"),
        rule_b=rule_make(site_b, name="B's rule"),
        visitor_a=VisitorFactory(site=site_a),
        visitor_b=VisitorFactory(site=site_b),
        manager_a=client_for(CounselorFactory(sites=[site_a], role=MANAGER)),
        manager_b=client_for(CounselorFactory(sites=[site_b], role=MANAGER)),
        counselor_a=client_for(CounselorFactory(sites=[site_a])),
    )


def ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_managers_list_the_rules_of_their_sites_only(world):
    assert ids(world.manager_a.get(URL)) == [world.rule_a.pk]
    assert ids(world.manager_b.get(URL)) == [world.rule_b.pk]
    assert ids(world.manager_a.get(URL, {"site": world.site_b.pk})) == []


@pytest.mark.parametrize("suffix", ["", "results/"])
def test_detail_and_results_allow_own_site_and_hide_others(world, suffix):
    a, b = world.rule_a.pk, world.rule_b.pk
    assert world.manager_a.get(f"{URL}{a}/{suffix}").status_code == 200
    assert world.manager_a.get(f"{URL}{b}/{suffix}").status_code == 404
    assert world.manager_b.get(f"{URL}{b}/{suffix}").status_code == 200
    assert world.manager_b.get(f"{URL}{a}/{suffix}").status_code == 404


def test_preview_allows_own_site_and_hides_others(world):
    a, b = world.rule_a, world.rule_b
    mine = {"visitor": str(world.visitor_a.public_id)}
    theirs = {"visitor": str(world.visitor_b.public_id)}
    assert world.manager_a.post(f"{URL}{a.pk}/preview/", mine).status_code == 200
    assert world.manager_a.post(f"{URL}{b.pk}/preview/", theirs).status_code == 404
    # Their visitor through my rule: not found either.
    assert world.manager_a.post(f"{URL}{a.pk}/preview/", theirs).status_code == 404
    assert world.manager_b.post(f"{URL}{b.pk}/preview/", theirs).status_code == 200


def test_counselors_and_strangers_are_refused(world):
    a = world.rule_a.pk
    visitor = {"visitor": str(world.visitor_a.public_id)}
    for client in (world.counselor_a, client_for()):
        assert client.get(URL).status_code == 403
        assert client.get(f"{URL}{a}/").status_code == 403
        assert client.get(f"{URL}{a}/results/").status_code == 403
        assert client.post(f"{URL}{a}/preview/", visitor).status_code == 403


def test_results_window_is_checked(world):
    url = f"{URL}{world.rule_a.pk}/results/"
    assert world.manager_a.get(url, {"days": 0}).status_code == 400
    body = world.manager_a.get(url, {"days": 14}).json()
    assert body["window_days"] == 14
    assert set(body["variants"]) == {"treatment", "holdout"}


def test_preview_names_the_failing_condition(world):
    on_bags_page(world.visitor_a, dwell=20)
    response = world.manager_a.post(
        f"{URL}{world.rule_a.pk}/preview/",
        {"visitor": str(world.visitor_a.public_id)},
        format="json",
    )
    body = response.json()
    assert body["matched"] is False and body["would_fire"] is False
    assert body["source"] == "record"
    assert body["page"] == "https://shop.example.com/bags/tote?ref=x"
    assert [r["path"] for r in body["failing"]] == ["$.all[1]"]
    assert body["failing"][0]["text"].startswith("time on the current page")
    assert [r["passed"] for r in body["reasons"]] == [True, False]
    assert body["wake_at"] is not None  # dwell will cross 60 s by itself


@pytest.mark.django_db
def test_preview_of_a_match_shows_the_rendered_action(site):
    rule = rule_make(
        site, action={"kind": "banner", "title": "Hi {{name|there}}, {{category}}"}
    )
    visitor = VisitorFactory(site=site, name="Kim")
    on_bags_page(visitor, dwell=90)
    result = rule_preview(rule=rule, visitor=visitor)
    assert result["matched"] and result["would_fire"]
    assert result["blocked_by"] == [] and result["failing"] == []
    assert result["action"]["title"] == "Hi Kim, bags"
    assert "WOULD FIRE" in preview_text(result)


@pytest.mark.django_db
def test_preview_says_what_blocks_a_match(site):
    now = timezone.now()
    rule = rule_make(site, cap_per_visitor=1, holdout_percent=50)
    visitors = VisitorFactory.create_batch(6, site=site)
    for visitor in visitors:
        on_bags_page(visitor, dwell=90, now=now)
        Offer.objects.create(
            rule=rule,
            site=site,
            visitor=visitor,
            kind="banner",
            state="rejected",
            shown_at=now - timedelta(days=1),
        )
        result = rule_preview(rule=rule, visitor=visitor, now=now)
        assert result["matched"] and not result["would_fire"]
        assert result["blocked_by"][0] == (
            "already shown once to this visitor (cap: once)"
        )
        held = variant_for(rule.pk, visitor.pk, 50) == "holdout"
        assert result["variant"] == ("holdout" if held else "treatment")
        assert any("50% holdout" in b for b in result["blocked_by"]) is held


@pytest.mark.django_db
def test_preview_of_an_invitation_with_nobody_free_uses_the_fallback(site):
    rule = rule_make(
        site,
        action={"kind": "chat_invite", "title": "Chat with us?"},
        fallback={"kind": "callback", "title": "We call you back"},
    )
    visitor = VisitorFactory(site=site)
    on_bags_page(visitor, dwell=90)
    result = rule_preview(rule=rule, visitor=visitor)
    assert result["would_fire"]
    assert result["action"]["kind"] == "callback"
    assert result["action_note"].startswith("no counselor has free capacity")


@pytest.mark.django_db
def test_preview_uses_the_live_snapshot_when_connected(site):
    rule = rule_make(site)
    visitor = VisitorFactory(site=site)
    now = timezone.now()
    snapshot = live.snapshot_load(visitor=visitor, site=site, now=now)
    live.live_attach(visitor.pk, snapshot)
    result = rule_preview(rule=rule, visitor=visitor, now=now)
    assert result["source"] == "live"
    assert result["failing"][0]["path"] == "$.all[0]"  # no page with a category


def test_preview_accepts_the_short_id_the_console_shows(world):
    """Issue 8 #20: the console shows "Visitor 1a2b3c4d"; the preview takes that."""
    url = f"{URL}{world.rule_a.pk}/preview/"
    short = str(world.visitor_a.public_id)[:8]
    for given in (
        short,
        short.upper(),
        f"Visitor {short}",
        str(world.visitor_a.public_id),
    ):
        response = world.manager_a.post(url, {"visitor": given}, format="json")
        assert response.status_code == 200, (given, response.content)
        assert response.json()["visitor"] == str(world.visitor_a.public_id)
    # Another site's visitor, by prefix: not found on this rule's site.
    theirs = str(world.visitor_b.public_id)[:8]
    assert world.manager_a.post(url, {"visitor": theirs}).status_code == 404
    bad = world.manager_a.post(url, {"visitor": "xyz!"}, format="json")
    assert bad.status_code == 400 and "public id" in bad.json()["visitor"][0]


def test_an_ambiguous_short_id_is_a_clear_error(world):
    import uuid

    one = VisitorFactory(site=world.site_a, public_id=uuid.UUID(f"abcd1234{'0' * 24}"))
    VisitorFactory(site=world.site_a, public_id=uuid.UUID(f"abcd5678{'0' * 24}"))
    url = f"{URL}{world.rule_a.pk}/preview/"
    response = world.manager_a.post(url, {"visitor": "abcd"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "ambiguous"
    assert "enter more characters" in response.json()["visitor"][0]
    exact = world.manager_a.post(url, {"visitor": "abcd1234"}, format="json")
    assert exact.json()["visitor"] == str(one.public_id)
