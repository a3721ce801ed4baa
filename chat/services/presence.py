"""Counselor presence: status changes, heartbeats and the grace-period sweep."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from chat import events, hooks
from chat.models import CounselorProfile
from chat.services.conversations import conversations_requeue_for
from chat.services.routing import presence_cutoff, routing_dispatch
from core import realtime
from core.errors import ServiceError


def counselor_seen(*, counselor_id: int, now: datetime | None = None) -> None:
    CounselorProfile.objects.filter(pk=counselor_id).update(
        last_seen_at=now or timezone.now()
    )


def counselor_set_status(
    *,
    counselor: CounselorProfile,
    status: str,
    now: datetime | None = None,
    why: str = "offline",
) -> CounselorProfile:
    """Change status; going online runs routing for the counselor's sites.
    Going offline (the status, or a logout: `why` "logged_out") requeues their open
    chats at once and routes them to whoever is online: the presence grace is for
    network blips, not for a counselor who said they are gone. Away keeps the chats
    (and takes no new ones). Publishes `status` to the counselor's own sockets."""
    if status not in CounselorProfile.Status.values:
        raise ServiceError("bad_status", "Status must be online, away or offline.")
    now = now or timezone.now()
    with transaction.atomic():
        CounselorProfile.objects.filter(pk=counselor.pk).update(
            status=status, last_seen_at=now
        )
        counselor.status, counselor.last_seen_at = status, now
        realtime.publish(
            events.agent_group(counselor.pk), {"type": "status", "status": status}
        )
    site_ids = list(counselor.sites.values_list("pk", flat=True))
    if status == CounselorProfile.Status.OFFLINE:
        conversations_requeue_for(counselor_id=counselor.pk, now=now, why=why)
    if status == CounselorProfile.Status.ONLINE:
        for site_id in site_ids:
            routing_dispatch(site_id=site_id, now=now)
    # The first counselor online opens the widgets; the last one closes them.
    hooks.staffing_changed(site_ids=site_ids, now=now)
    return counselor


def presence_sweep(*, now: datetime | None = None) -> list[int]:
    """Counselors unseen past the grace period go offline and their chats are
    requeued (and re-routed). Returns the ids of the counselors swept."""
    now = now or timezone.now()
    gone = list(
        CounselorProfile.objects.exclude(status=CounselorProfile.Status.OFFLINE)
        .filter(last_seen_at__lt=presence_cutoff(now))
        .values_list("pk", flat=True)
    )
    for pk in gone:
        CounselorProfile.objects.filter(pk=pk).update(
            status=CounselorProfile.Status.OFFLINE
        )
        realtime.publish(
            events.agent_group(pk), {"type": "status", "status": "offline"}
        )
        conversations_requeue_for(counselor_id=pk, now=now, why="no_heartbeat")
    if gone:
        hooks.staffing_changed(
            site_ids=set(
                CounselorProfile.sites.through.objects.filter(
                    counselorprofile_id__in=gone
                ).values_list("site_id", flat=True)
            ),
            now=now,
        )
    return gone
