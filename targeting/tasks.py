"""Celery tasks of targeting: thin, idempotent."""

from celery import shared_task

from targeting.services.offers import offers_expire as offers_expire_service


@shared_task(acks_late=True)
def offers_expire() -> int:
    """Beat, every minute: offers left unanswered past their timeout (the socket
    closed before its own timer) count as ignored."""
    return offers_expire_service()
