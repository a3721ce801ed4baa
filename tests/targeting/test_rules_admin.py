"""The Django admin for rules and coupon pools: clean() errors on the form, the
results and the preview on the change page, bulk codes, cache bumps on save."""

import pytest
from django.db.models import RestrictedError
from django.utils import timezone

from targeting.models import CouponPool, Offer, Rule
from targeting.services import rules as rules_service
from tests.factories import VisitorFactory
from tests.targeting.rulesutil import BAGS, rule_make

pytestmark = pytest.mark.django_db


def test_change_page_shows_results_and_a_preview(admin_client, site):
    rule = rule_make(site)
    visitor = VisitorFactory(site=site)
    url = f"/admin/targeting/rule/{rule.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "window still open" in page and "Preview for visitor" in page
    page = admin_client.get(url, {"preview_visitor": str(visitor.public_id)})
    text = page.content.decode()
    assert "Does NOT match. Failing:" in text
    assert "$.all[0]: page category: none" in text
    unknown = admin_client.get(url, {"preview_visitor": "nope"}).content.decode()
    assert "Enter a visitor&#x27;s public id" in unknown


def test_change_page_links_the_results_api_and_previews_by_short_id(admin_client, site):
    """Issue 8 #20: the results link had an empty id (`<id>` read as an HTML tag);
    the preview takes the 8 characters the console shows."""
    rule = rule_make(site)
    visitor = VisitorFactory(site=site)
    url = f"/admin/targeting/rule/{rule.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "/api/targeting/rules//results/" not in page
    assert f'href="/api/targeting/rules/{rule.pk}/results/?days=7"' in page
    short = str(visitor.public_id)[:8]
    text = admin_client.get(url, {"preview_visitor": short}).content.decode()
    assert "Does NOT match. Failing:" in text and str(visitor.public_id) in text


def test_a_bad_condition_is_shown_on_the_form(admin_client, site):
    response = admin_client.post(
        "/admin/targeting/rule/add/",
        {
            "site": site.pk,
            "name": "Typo",
            "active": "on",
            "priority": 0,
            "condition": '{"all": [{"field": "dwel", "gte": 60}]}',
            "target_pages": "[]",
            "action": '{"kind": "banner", "title": "Hi"}',
            "fallback": "null",
            "cap_per_visitor": 0,
            "cap_per_session": 0,
            "cap_days": 0,
            "holdout_percent": 0,
            "offer_timeout_seconds": 30,
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["condition"] == [
        "$.all[0].field: unknown field 'dwel' (did you mean 'dwell'?)"
    ]
    assert not Rule.objects.exists()


def test_saving_a_rule_bumps_the_sites_rules(
    admin_client, site, django_capture_on_commit_callbacks
):
    rule = rule_make(site)
    rules_service.site_rules(site=site)
    assert rules_service.site_rules_stale(site.pk) is not None
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            "/admin/targeting/rule/",
            {
                "form-TOTAL_FORMS": 1,
                "form-INITIAL_FORMS": 1,
                "form-0-id": rule.pk,
                "form-0-active": "",
                "_save": "Save",
            },
        )
    assert response.status_code == 302
    assert rules_service.site_rules_stale(site.pk) is None
    rule.refresh_from_db()
    assert not rule.active and rule.condition == BAGS


def test_pool_takes_codes_in_bulk(admin_client, site):
    response = admin_client.post(
        "/admin/targeting/couponpool/add/",
        {
            "site": site.pk,
            "name": "Spring",
            "low_stock_threshold": 10,
            "bulk_codes": "A-1\nA-2\n\nA-2\n",
            "codes-TOTAL_FORMS": 1,
            "codes-INITIAL_FORMS": 0,
            "codes-0-code": "B-1",
        },
    )
    assert response.status_code == 302, response.content
    pool = CouponPool.objects.get()
    assert sorted(pool.codes.values_list("code", flat=True)) == ["A-1", "A-2", "B-1"]


def test_a_rule_with_exposures_is_kept_but_its_site_and_visitor_can_go(site):
    rule = rule_make(site)
    visitor = VisitorFactory(site=site)
    Offer.objects.create(
        rule=rule, site=site, visitor=visitor, kind="banner", shown_at=timezone.now()
    )
    with pytest.raises(RestrictedError):
        rule.delete()
    visitor.delete()  # privacy erasure takes the visitor's offers along
    assert not Offer.objects.exists()
    Offer.objects.create(
        rule=rule,
        site=site,
        visitor=VisitorFactory(site=site),
        kind="banner",
        shown_at=timezone.now(),
    )
    site.delete()
    assert not Rule.objects.exists() and not Offer.objects.exists()
