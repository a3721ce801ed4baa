"""Issue 8 #11: a coupon rule whose pool is empty shows its fallback (recorded as
such), the preview says so, and a pool at its low-stock threshold is flagged in the
admin and the results and e-mails the site's managers once per shortage."""

import pytest
from django.core import mail
from django.utils import timezone

from chat.models import CounselorProfile
from targeting.engine.snapshot import Page, Session, Snapshot
from targeting.models import CouponPool, Offer
from targeting.services.coupons import coupon_assign, coupon_codes_add
from targeting.services.offers import offer_present
from targeting.services.preview import preview_text, rule_preview
from targeting.services.results import results_text, rule_results
from targeting.services.rules import RuleSpec
from tests.factories import CounselorFactory, VisitorFactory
from tests.targeting.rulesutil import on_bags_page, rule_make

pytestmark = pytest.mark.django_db

COUPON = {"kind": "coupon", "title": "A code for you"}
CALLBACK = {"kind": "callback", "title": "We call you back"}


def pool_with(site, n: int, *, threshold: int = 1) -> CouponPool:
    pool = CouponPool.objects.create(
        site=site, name="Spring", low_stock_threshold=threshold
    )
    coupon_codes_add(pool=pool, codes=[f"SPRING-{i}" for i in range(n)])
    return pool


def snapshot_now() -> Snapshot:
    now = timezone.now()
    return Snapshot(
        now=now, session=Session(id="sess-0001", started_at=now)
    ).with_page_view(Page("https://shop.example.com/bags/", now, category="bags"))


def present(site, visitor, rule):
    return offer_present(
        site=site,
        visitor=visitor,
        spec=RuleSpec.of(rule),
        snapshot=snapshot_now(),
        counselor_available=True,
    )


def test_an_empty_pool_shows_the_fallback_and_records_it(site):
    pool = pool_with(site, 1, threshold=0)
    rule = rule_make(site, action={**COUPON, "pool": pool.pk}, fallback=CALLBACK)
    first, second = VisitorFactory.create_batch(2, site=site)
    offer, frame = present(site, first, rule)
    assert frame["offer"]["kind"] == "coupon" and frame["offer"]["code"] == "SPRING-0"
    offer, frame = present(site, second, rule)  # the pool is empty now
    assert frame is not None and frame["offer"]["kind"] == "callback"
    assert offer.kind == "callback" and offer.coupon_id is None
    assert Offer.objects.filter(rule=rule).count() == 2


def test_an_empty_pool_without_fallback_shows_nothing(site):
    pool = pool_with(site, 0, threshold=0)
    rule = rule_make(site, action={**COUPON, "pool": pool.pk})
    assert present(site, VisitorFactory(site=site), rule) == (None, None)


def test_a_coupon_may_fall_back_to_another_pools_coupon(site):
    empty = pool_with(site, 0, threshold=0)
    spare = CouponPool.objects.create(site=site, name="Spare", low_stock_threshold=0)
    coupon_codes_add(pool=spare, codes=["SPARE-1"])
    rule = rule_make(
        site,
        action={**COUPON, "pool": empty.pk},
        fallback={**COUPON, "pool": spare.pk},
    )
    offer, frame = present(site, VisitorFactory(site=site), rule)
    assert frame["offer"]["code"] == "SPARE-1" and offer.coupon.pool_id == spare.pk


def test_the_preview_says_the_pool_is_empty_and_shows_the_fallback(site):
    pool = pool_with(site, 0, threshold=0)
    visitor = VisitorFactory(site=site)
    on_bags_page(visitor, dwell=90)
    rule = rule_make(site, action={**COUPON, "pool": pool.pk}, fallback=CALLBACK)
    result = rule_preview(rule=rule, visitor=visitor)
    assert result["would_fire"]
    assert result["action"]["kind"] == "callback"
    assert "has no code left: the fallback would be shown" in result["action_note"]
    assert "Note: the coupon pool" in preview_text(result)

    bare = rule_make(site, name="No fallback", action={**COUPON, "pool": pool.pk})
    result = rule_preview(rule=bare, visitor=visitor)
    assert result["matched"] and not result["would_fire"]
    assert result["blocked_by"] == [
        "the coupon pool \u201cSpring\u201d has no code left and there is no fallback"
    ]
    assert "WOULD FIRE" not in preview_text(result)


def test_the_preview_of_a_stocked_pool_hands_no_code(site):
    pool = pool_with(site, 3, threshold=5)
    visitor = VisitorFactory(site=site)
    on_bags_page(visitor, dwell=90)
    rule = rule_make(site, action={**COUPON, "pool": pool.pk}, fallback=CALLBACK)
    result = rule_preview(rule=rule, visitor=visitor)
    assert result["would_fire"] and result["action"]["kind"] == "coupon"
    assert "is low: 3 code(s) left" in result["action_note"]
    assert not pool.codes.filter(visitor__isnull=False).exists()


def test_low_stock_is_flagged_in_results_and_admin(admin_client, site):
    pool = pool_with(site, 3, threshold=2)
    rule = rule_make(site, action={**COUPON, "pool": pool.pk})
    (stock,) = rule_results(rule=rule)["coupon_pools"]
    assert stock["free"] == 3 and stock["low"] is False and stock["empty"] is False
    coupon_assign(pool=pool, visitor=VisitorFactory(site=site))
    (stock,) = rule_results(rule=rule)["coupon_pools"]
    assert stock == {
        "id": pool.pk,
        "name": "Spring",
        "free": 2,
        "assigned": 1,
        "low_stock_threshold": 2,
        "low": True,
        "empty": False,
    }
    assert "LOW (2 left, threshold 2)" in results_text(rule_results(rule=rule))
    listing = admin_client.get("/admin/targeting/couponpool/").content.decode()
    assert "coupon-stock-low" in listing and "LOW (2 left, threshold 2)" in listing


def test_managers_get_one_email_per_shortage(site, django_capture_on_commit_callbacks):
    def assign(visitor):
        with django_capture_on_commit_callbacks(execute=True):
            coupon_assign(pool=pool, visitor=visitor)

    manager = CounselorFactory(sites=[site], role=CounselorProfile.Role.MANAGER)
    manager.user.email = "boss@example.com"
    manager.user.save()
    CounselorFactory(sites=[site])  # a counselor, not a manager: not told
    pool = pool_with(site, 4, threshold=2)
    visitors = VisitorFactory.create_batch(4, site=site)
    assign(visitors[0])  # 3 left: fine
    assert mail.outbox == []
    assign(visitors[1])  # 2 left: low
    (message,) = mail.outbox
    assert message.to == ["boss@example.com"]
    assert "running low: 2 left" in message.subject
    assert "Spring" in message.body and "fallback" in message.body
    assign(visitors[2])  # still the same shortage
    assert len(mail.outbox) == 1
    assert CouponPool.objects.get(pk=pool.pk).low_notified_at is not None
    coupon_codes_add(pool=pool, codes=[f"MORE-{i}" for i in range(5)])  # restocked
    assert CouponPool.objects.get(pk=pool.pk).low_notified_at is None
    for visitor in VisitorFactory.create_batch(4, site=site):
        assign(visitor)
    assert len(mail.outbox) == 2 and "running low: 2 left" in mail.outbox[1].subject
