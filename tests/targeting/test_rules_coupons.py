"""Coupon pools: one code per visitor, never one code for two visitors, even when
visitors (or one visitor's tabs) ask at the same instant on PostgreSQL."""

import threading

import pytest
from django.db import connection

from targeting.models import Coupon, CouponPool
from targeting.services.coupons import (
    coupon_assign,
    coupon_codes_add,
    coupon_codes_parse,
)
from tests.factories import SiteFactory, VisitorFactory


def pool_with(site, n: int) -> CouponPool:
    pool = CouponPool.objects.create(site=site, name="Spring")
    coupon_codes_add(pool=pool, codes=[f"SPRING-{i:03}" for i in range(n)])
    return pool


@pytest.mark.django_db
def test_a_visitor_keeps_their_code_and_others_get_the_next(site):
    pool = pool_with(site, 2)
    first, second, third = VisitorFactory.create_batch(3, site=site)
    mine = coupon_assign(pool=pool, visitor=first)
    assert mine.code == "SPRING-000" and mine.assigned_at is not None
    assert coupon_assign(pool=pool, visitor=first).pk == mine.pk
    assert coupon_assign(pool=pool, visitor=second).code == "SPRING-001"
    assert coupon_assign(pool=pool, visitor=third) is None  # the pool is empty
    assert coupon_assign(pool=pool, visitor=first).pk == mine.pk  # still theirs


@pytest.mark.django_db
def test_pools_are_independent(site):
    spring, autumn = pool_with(site, 1), pool_with(site, 1)
    visitor = VisitorFactory(site=site)
    a = coupon_assign(pool=spring, visitor=visitor)
    b = coupon_assign(pool=autumn, visitor=visitor)
    assert a.pool_id == spring.pk and b.pool_id == autumn.pk


@pytest.mark.django_db
def test_adding_codes_skips_repeats():
    pool = pool_with(SiteFactory(), 2)
    codes, problems = coupon_codes_parse("SPRING-000\n\n  NEW-1 \nNEW-1\n" + "X" * 41)
    assert codes == ["SPRING-000", "NEW-1"]
    assert problems == ["line 5: longer than 40 characters"]
    assert coupon_codes_add(pool=pool, codes=codes) == 1
    assert pool.codes.count() == 3


def run_together(n: int, work):
    """Run work(i) in n threads released at once; each thread closes its own
    database connection."""
    barrier = threading.Barrier(n)
    results: list = [None] * n
    errors: list = []

    def target(i):
        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
def test_concurrent_visitors_never_share_a_code():
    site = SiteFactory()
    pool = pool_with(site, 10)
    visitors = VisitorFactory.create_batch(20, site=site)
    results = run_together(20, lambda i: coupon_assign(pool=pool, visitor=visitors[i]))
    given = [(c.code, c.visitor_id) for c in results if c is not None]
    assert len(given) == 10  # every code handed out, the rest told "empty"
    assert len({code for code, _ in given}) == 10
    assigned = Coupon.objects.filter(pool=pool, visitor__isnull=False)
    assert sorted(assigned.values_list("code", "visitor_id")) == sorted(given)


@pytest.mark.django_db(transaction=True)
def test_one_visitors_tabs_asking_at_once_get_one_code():
    site = SiteFactory()
    pool = pool_with(site, 10)
    visitor = VisitorFactory(site=site)
    results = run_together(8, lambda i: coupon_assign(pool=pool, visitor=visitor))
    assert {c.code for c in results} == {results[0].code}
    assert Coupon.objects.filter(pool=pool, visitor=visitor).count() == 1
