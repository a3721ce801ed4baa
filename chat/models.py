"""Live chat domain: sites, teams, counselors, visitors, conversations, messages.

Invariants the database enforces (not only the code):
- one open (not closed) conversation per visitor (partial unique index);
- a message's `seq` is unique per conversation and allocated under the conversation's
  row lock, so it is gap-free;
- a send is idempotent per (conversation, sender kind, sender id, client id).
"""

import secrets
import uuid
from functools import lru_cache
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


@lru_cache(maxsize=64)
def zone_named(name: str) -> ZoneInfo:
    """The zone of that IANA name; UTC for a name this system does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def new_site_key() -> str:
    return "pk_" + secrets.token_urlsafe(18)


def new_identify_secret() -> str:
    return "sk_" + secrets.token_urlsafe(32)


def origin_key(value: str) -> str | None:
    """`scheme://host[:port]` of an origin or URL, lower case; None if not http(s)."""
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


class Site(models.Model):
    class Routing(models.TextChoices):
        AUTO = "auto", _("Auto-assign")
        MANUAL = "manual", _("Manual accept")

    name = models.CharField(max_length=120)
    public_key = models.CharField(max_length=64, unique=True, default=new_site_key)
    # Exact origins ("https://shop.example.com"), one per line; "*" is refused.
    allowed_origins = models.TextField(blank=True, default="")
    time_zone = models.CharField(max_length=64, default="Asia/Seoul")
    routing = models.CharField(max_length=10, choices=Routing, default=Routing.AUTO)
    # Signs identify calls (user id + CRM attributes) on the site's own server; never
    # sent to browsers. See targeting.services.identify.
    identify_secret = models.CharField(max_length=64, default=new_identify_secret)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.time_zone)

    @property
    def origins(self) -> set[str]:
        """Allowed origins as `scheme://host[:port]`, lower case (the form the
        visitor socket compares an `Origin` header in); entries that are not http(s)
        URLs with a host are ignored."""
        return {
            origin for o in self.allowed_origins.split() if (origin := origin_key(o))
        }


class Team(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=120)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="team_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.site} / {self.name}"


class CounselorProfile(models.Model):
    class Status(models.TextChoices):
        ONLINE = "online", _("Online")
        AWAY = "away", _("Away")
        OFFLINE = "offline", _("Offline")

    class Role(models.TextChoices):
        COUNSELOR = "counselor", _("Counselor")
        MANAGER = "manager", _("Manager")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="counselor"
    )
    display_name = models.CharField(max_length=80)
    role = models.CharField(max_length=10, choices=Role, default=Role.COUNSELOR)
    sites = models.ManyToManyField(Site, related_name="counselors")
    teams = models.ManyToManyField(Team, related_name="counselors", blank=True)
    max_concurrent = models.PositiveSmallIntegerField(default=5)
    status = models.CharField(max_length=10, choices=Status, default=Status.OFFLINE)
    # Refreshed on connect and on every ping; older than the grace period = gone.
    last_seen_at = models.DateTimeField(null=True, blank=True)
    # When this counselor last received a chat: "longest idle" routes first.
    last_assigned_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.display_name


class Visitor(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="visitors")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=80, blank=True, default="")
    language = models.CharField(max_length=10, blank=True, default="")
    user_agent = models.CharField(max_length=300, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.name or f"Visitor {str(self.public_id)[:8]}"


class Conversation(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        ACTIVE = "active", _("Active")
        WAITING = "waiting", _("Waiting for visitor")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (Status.QUEUED, Status.ACTIVE, Status.WAITING)

    class Channel(models.TextChoices):
        WEB = "web", _("Web widget")
        EMAIL = "email", _("E-mail")
        PHONE = "phone", _("Phone callback")

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="conversations"
    )
    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, related_name="conversations"
    )
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    assignee = models.ForeignKey(
        CounselorProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="conversations",
    )
    channel = models.CharField(max_length=10, choices=Channel, default=Channel.WEB)
    status = models.CharField(max_length=10, choices=Status, default=Status.QUEUED)
    last_seq = models.PositiveIntegerField(default=0)
    # Highest seq the visitor may see (internal notes are not counted).
    last_public_seq = models.PositiveIntegerField(default=0)
    visitor_read_seq = models.PositiveIntegerField(default=0)
    agent_read_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    # The first counselor's arrival: the visitor's waiting figure. `assigned_at`
    # and `queued_at` move with every transfer and requeue.
    first_assigned_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_message_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["visitor"],
                condition=~Q(status="closed"),
                name="conversation_one_open_per_visitor",
            )
        ]
        indexes = [
            models.Index(fields=["site", "status", "queued_at"], name="conv_queue_idx"),
            models.Index(fields=["assignee", "status"], name="conv_assignee_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.visitor} ({self.status})"


class Message(models.Model):
    class Sender(models.TextChoices):
        VISITOR = "visitor", _("Visitor")
        AGENT = "agent", _("Counselor")
        SYSTEM = "system", _("System")

    class Kind(models.TextChoices):
        TEXT = "text", _("Text")
        CARD = "card", _("Card")
        FORM = "form", _("Form")
        # The visitor's answer to a form; payload {"form_seq", "lead", "fields"}.
        FORM_REPLY = "form_reply", _("Form reply")
        NOTE = "note", _("Internal note")
        # Assigned, transferred, requeued, closed: who and when, in the transcript;
        # payload {"event", "by", ...} (chat.services.transcript).
        EVENT = "event", _("System event")

    # Counselors only: never sent to the visitor, not counted in last_public_seq.
    STAFF_ONLY_KINDS = (Kind.NOTE, Kind.EVENT)

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField()
    sender_kind = models.CharField(max_length=10, choices=Sender)
    # Visitor pk or counselor profile pk; 0 for system messages.
    sender_id = models.BigIntegerField(default=0)
    sender_name = models.CharField(max_length=80, blank=True, default="")
    # NULL, not "": sends without a client id must not collide in the unique key.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    kind = models.CharField(max_length=10, choices=Kind, default=Kind.TEXT)
    body = models.TextField(blank=True, default="")
    payload = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "seq"], name="message_unique_seq"
            ),
            models.UniqueConstraint(
                fields=["conversation", "sender_kind", "sender_id", "client_id"],
                name="message_idempotent_send",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq} {self.sender_kind}: {self.body[:40]}"
