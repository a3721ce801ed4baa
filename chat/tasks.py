from celery import shared_task

from chat.services.presence import presence_sweep as presence_sweep_service


@shared_task(acks_late=True)
def presence_sweep() -> list[int]:
    """Beat, every 10 s: requeue the chats of counselors gone past the grace."""
    return presence_sweep_service()
