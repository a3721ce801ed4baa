"""Coupon pools: adding codes, handing one code per visitor, and the stock: a pool
at or below its low-stock threshold is flagged (admin, results) and its site's
managers get one e-mail per shortage."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone

from chat.models import CounselorProfile, Visitor
from targeting.models import Coupon, CouponPool

log = logging.getLogger(__name__)

MAX_CODE = 40


def coupon_codes_parse(text: str) -> tuple[list[str], list[str]]:
    """Codes from a textarea (one per line, blanks and repeats dropped), and the
    problems found ("line 3: longer than 40 characters")."""
    codes: list[str] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        code = line.strip()
        if not code or code in seen:
            continue
        if len(code) > MAX_CODE:
            problems.append(f"line {number}: longer than {MAX_CODE} characters")
        elif not code.isprintable():
            problems.append(f"line {number}: contains control characters")
        else:
            seen.add(code)
            codes.append(code)
    return codes, problems


def coupon_codes_add(*, pool: CouponPool, codes: Iterable[str]) -> int:
    """Add codes to the pool, skipping those it has already; returns how many were
    new."""
    codes = list(dict.fromkeys(codes))
    existing = set(
        Coupon.objects.filter(pool=pool, code__in=codes).values_list("code", flat=True)
    )
    new = [Coupon(pool=pool, code=c) for c in codes if c not in existing]
    # ignore_conflicts: a concurrent add of the same code is not an error either.
    Coupon.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    if new and pool_free(pool=pool) > pool.low_stock_threshold:
        # Restocked: the next shortage gets its own e-mail.
        CouponPool.objects.filter(pk=pool.pk).update(low_notified_at=None)
    return len(new)


def pool_free(*, pool: CouponPool) -> int:
    return Coupon.objects.filter(pool=pool, visitor__isnull=True).count()


def pools_stock(*, pool_ids: Iterable[int]) -> list[dict[str, Any]]:
    """Free and assigned codes of these pools, with their low-stock flag."""
    rows = (
        CouponPool.objects.filter(pk__in=set(pool_ids))
        .annotate(
            n_free=Count("codes", filter=Q(codes__visitor__isnull=True)),
            n_assigned=Count("codes", filter=Q(codes__visitor__isnull=False)),
        )
        .order_by("pk")
    )
    return [
        {
            "id": pool.pk,
            "name": pool.name,
            "free": pool.n_free,
            "assigned": pool.n_assigned,
            "low_stock_threshold": pool.low_stock_threshold,
            "low": pool.n_free <= pool.low_stock_threshold,
            "empty": pool.n_free == 0,
        }
        for pool in rows
    ]


def stock_label(free: int, threshold: int) -> str:
    if free == 0:
        return "EMPTY"
    if free <= threshold:
        return f"LOW ({free} left, threshold {threshold})"
    return "ok"


def pool_low_check(*, pool: CouponPool) -> bool:
    """After a code was handed: at or below the threshold, claim the pool's
    low-stock notice (a conditional UPDATE, so one e-mail per shortage however many
    processes hand codes) and send it after commit. True when claimed."""
    free = pool_free(pool=pool)
    if free > pool.low_stock_threshold:
        return False
    claimed = CouponPool.objects.filter(
        pk=pool.pk, low_notified_at__isnull=True
    ).update(low_notified_at=timezone.now())
    if claimed:
        from targeting import tasks

        tasks.coupon_pool_low_notify.delay_on_commit(pool.pk)
    return bool(claimed)


def pool_low_notify(*, pool_id: int) -> int:
    """E-mail the site's managers that the pool is low (or empty). Returns how many
    recipients; 0 when nobody has an e-mail address."""
    pool = CouponPool.objects.select_related("site").filter(pk=pool_id).first()
    if pool is None:
        return 0
    managers = CounselorProfile.objects.filter(
        sites=pool.site_id, role=CounselorProfile.Role.MANAGER
    ).exclude(user__email="")
    recipients = sorted({m.user.email for m in managers.select_related("user")})
    if not recipients:
        log.warning("coupon pool %s is low and no manager has an e-mail", pool.pk)
        return 0
    free = pool_free(pool=pool)
    subject = (
        f"Coupon pool \u201c{pool.name}\u201d is empty"
        if free == 0
        else f"Coupon pool \u201c{pool.name}\u201d is running low: {free} left"
    )
    body = (
        f"The coupon pool \u201c{pool.name}\u201d of {pool.site.name} has {free} free "
        f"code(s) left (low-stock threshold: {pool.low_stock_threshold}).\n\n"
        "When it is empty, rules that hand its codes show their fallback action "
        "instead (or nothing, without a fallback). Add codes in the admin: Targeting "
        "> Coupon pools.\n"
    )
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    return len(recipients)


def coupon_assign(*, pool: CouponPool, visitor: Visitor) -> Coupon | None:
    """The visitor's code from the pool: the one they already have, else the next
    free one; None when no free code is left.

    Free codes are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED``, so concurrent
    visitors take different codes without waiting on each other (a code locked by a
    transaction that then rolls back is skipped once: the pool may look empty for
    that instant). Two concurrent claims for one visitor (two tabs) meet at the
    (pool, visitor) unique constraint; the loser returns the winner's code. Runs in
    its own transaction (a savepoint inside the caller's)."""
    mine = Coupon.objects.filter(pool=pool, visitor=visitor).first()
    if mine is not None:
        return mine
    try:
        with transaction.atomic():
            coupon = (
                Coupon.objects.select_for_update(skip_locked=True)
                .filter(pool=pool, visitor__isnull=True)
                .order_by("id")
                .first()
            )
            if coupon is None:
                return None
            coupon.visitor = visitor
            coupon.assigned_at = timezone.now()
            coupon.save(update_fields=["visitor", "assigned_at"])
            pool_low_check(pool=pool)
            return coupon
    except IntegrityError:
        return Coupon.objects.filter(pool=pool, visitor=visitor).first()
