"""Coupon pools: adding codes, and handing one code per visitor."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.utils import timezone

from chat.models import Visitor
from targeting.models import Coupon, CouponPool

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
    return len(new)


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
            return coupon
    except IntegrityError:
        return Coupon.objects.filter(pool=pool, visitor=visitor).first()
