"""Celery tasks of the leads app: thin (look up, call the service), idempotent,
retried. Services queue them after commit (`notices_enqueue`, by the task's name, so
no service imports this module). Beat runs the scans (see config/celery.py)."""

from __future__ import annotations

import smtplib

from celery import shared_task

from leads.services import availability, notices, privacy

# Errors worth a retry: the mail server or the network.
TRANSIENT = (smtplib.SMTPException, ConnectionError, OSError, TimeoutError)


@shared_task(
    bind=True,
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=8,
)
def lead_notice_send(self, notice_id: int) -> str:
    """Send one notice (new lead, reminder, overdue) once."""
    try:
        return notices.notice_send(notice_id=notice_id)
    except TRANSIENT as exc:
        if self.request.retries >= self.max_retries:
            notices.notice_give_up(notice_id=notice_id, error=repr(exc))
        raise


@shared_task(acks_late=True)
def callbacks_scan() -> dict:
    """Beat: reminders at the callback time, overdue flags after the grace."""
    return notices.callbacks_scan()


@shared_task(acks_late=True)
def notices_recover() -> list[int]:
    """Beat: release dead workers' claims; queue notices a broker outage dropped."""
    return notices.notices_recover()


@shared_task(acks_late=True)
def availability_tick() -> int:
    """Beat, every minute: push opening/closing to the widgets."""
    return availability.availability_tick()


@shared_task(acks_late=True)
def leads_purge_expired() -> int:
    """Beat, daily: destroy leads past their site's retention period."""
    return privacy.leads_purge_expired()
