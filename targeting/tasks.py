"""Celery tasks of targeting: thin, idempotent."""

from celery import shared_task

from targeting.services.offers import offers_expire as offers_expire_service


@shared_task(acks_late=True)
def offers_expire() -> int:
    """Beat, every minute: offers left unanswered past their timeout (the socket
    closed before its own timer) count as ignored."""
    return offers_expire_service()


@shared_task(acks_late=True)
def coupon_pool_low_notify(pool_id: int) -> int:
    """A coupon pool fell to its low-stock threshold: e-mail the site's managers
    (claimed once per shortage by targeting.services.coupons.pool_low_check)."""
    from targeting.services.coupons import pool_low_notify

    return pool_low_notify(pool_id=pool_id)
