"""Lead capture: availability (opening hours, closures), leads, their history, consent
records, outgoing notices and the access log of personal data.

Invariants the database enforces:
- one submission per (site, idempotency key): a double submit or a retry is one lead;
- one open lead per normalised phone and per e-mail in a site (partial unique
  indexes), so concurrent submissions from one person cannot create two leads;
- one notice per (lead, kind, key): a notification is sent at most once.

Personal data lives in Lead (name, phone, e-mail, message, fields), LeadSubmission
(data, ip, user agent), ConsentRecord (ip, user agent), LeadEvent (notes) and the
visitor's in-chat form replies (chat.Message); `leads.services.privacy` knows them all.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from chat.models import Conversation, CounselorProfile, Site, Team, Visitor


def default_chat_form() -> dict:
    # Stored in English; labels found in the catalogue are translated when the form
    # is sent (leads.services.chatforms), custom labels are sent as written.
    return {
        "title": gettext_noop("Leave your details"),
        "fields": [
            {
                "name": "name",
                "label": gettext_noop("Name"),
                "type": "text",
                "required": True,
            },
            {
                "name": "phone",
                "label": gettext_noop("Phone"),
                "type": "tel",
                "required": True,
            },
            {
                "name": "email",
                "label": gettext_noop("E-mail"),
                "type": "email",
                "required": False,
            },
            {
                "name": "message",
                "label": gettext_noop("What can we help with?"),
                "type": "textarea",
                "required": False,
            },
        ],
    }


class LeadSettings(models.Model):
    """Per-site availability and lead-capture settings (created with defaults)."""

    site = models.OneToOneField(
        Site, on_delete=models.CASCADE, related_name="lead_settings"
    )
    # ISO 3166 code for public holidays (the `holidays` package); "" = none.
    holiday_country = models.CharField(max_length=2, blank=True, default="KR")
    # Default region for phone numbers written without a country code.
    phone_region = models.CharField(max_length=2, default="KR")
    offline_when_no_counselor = models.BooleanField(default=True)
    # Offline once the expected wait passes this (0 = never for the queue).
    max_expected_wait_seconds = models.PositiveIntegerField(default=600)
    average_handle_seconds = models.PositiveIntegerField(default=300)
    slot_minutes = models.PositiveSmallIntegerField(default=30)
    slot_days = models.PositiveSmallIntegerField(default=7)
    slot_lead_minutes = models.PositiveSmallIntegerField(default=30)
    # "As soon as possible": due this long after the next opening.
    callback_sla_minutes = models.PositiveIntegerField(default=60)
    overdue_grace_minutes = models.PositiveIntegerField(default=15)
    retention_days = models.PositiveIntegerField(default=365)
    notice_version = models.CharField(max_length=40, default="2026-11-01")
    # Team e-mail addresses told of new leads, one per line.
    notify_emails = models.TextField(blank=True, default="")
    chat_form = models.JSONField(default=default_chat_form)

    class Meta:
        verbose_name_plural = "lead settings"

    def __str__(self) -> str:
        return f"Lead settings of {self.site}"

    def clean(self) -> None:
        """The in-chat form must be one the widget can render and the server can
        check: 1-10 fields of known types with unique names, and a way to reach the
        person (a phone or an e-mail field)."""
        from django.core.exceptions import ValidationError

        from leads.forms import ChatFormInvalid, chat_form_shape

        try:
            form = chat_form_shape(self.chat_form)
        except ChatFormInvalid as exc:
            raise ValidationError({"chat_form": exc.message}) from exc
        names = [f["name"] for f in form["fields"]]
        if len(set(names)) != len(names):
            raise ValidationError({"chat_form": _("Field names must be unique.")})
        if not {"phone", "email"} & set(names):
            raise ValidationError(
                {"chat_form": _("The form needs a 'phone' or an 'email' field.")}
            )

    @property
    def recipients(self) -> list[str]:
        return [line.strip() for line in self.notify_emails.split() if line.strip()]


class OpeningPeriod(models.Model):
    """A weekly opening period in the site's time zone; a team with periods of its
    own uses those instead of the site's."""

    class Weekday(models.IntegerChoices):
        MON = 0, _("Monday")
        TUE = 1, _("Tuesday")
        WED = 2, _("Wednesday")
        THU = 3, _("Thursday")
        FRI = 4, _("Friday")
        SAT = 5, _("Saturday")
        SUN = 6, _("Sunday")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="periods")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="periods"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday)
    opens = models.TimeField()
    # Not after `opens`: runs past midnight; 00:00 means 24:00.
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}-{self.closes:%H:%M}"


class Closure(models.Model):
    """Closed all day from `starts_on` to `ends_on` inclusive (local dates)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="closures")
    team = models.ForeignKey(
        Team, on_delete=models.CASCADE, null=True, blank=True, related_name="closures"
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    reason = models.CharField(max_length=120, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.starts_on}..{self.ends_on} {self.reason}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The closure ends before it starts.")})
        if (
            self.starts_on
            and self.ends_on
            and (self.ends_on - self.starts_on).days > 366
        ):
            raise ValidationError({"ends_on": _("A closure lasts at most a year.")})


def new_reference() -> str:
    return "L-" + secrets.token_hex(4).upper()


class Lead(models.Model):
    class Source(models.TextChoices):
        OFFLINE_FORM = "offline_form", _("Out-of-hours form")
        QUEUE_OVERFLOW = "queue_overflow", _("Callback instead of waiting")
        IN_CHAT_FORM = "in_chat_form", _("In-chat form")
        TARGETING = "targeting", _("Targeting rule")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        CONTACTED = "contacted", _("Contacted")
        QUALIFIED = "qualified", _("Qualified")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")

    OPEN_STATUSES = ("new", "contacted", "qualified")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="leads")
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reference = models.CharField(max_length=12, unique=True, default=new_reference)
    source = models.CharField(max_length=20, choices=Source)
    status = models.CharField(max_length=12, choices=Status, default=Status.NEW)
    assignee = models.ForeignKey(
        CounselorProfile,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    name = models.CharField(max_length=80)
    # E.164 ("+821012345678"); "" when the form had no phone field.
    phone = models.CharField(max_length=20, blank=True, default="")
    email = models.CharField(max_length=254, blank=True, default="")
    message = models.TextField(blank=True, default="")
    # Other fields of an in-chat form, by field name.
    fields = models.JSONField(default=dict, blank=True)
    language = models.CharField(max_length=10, blank=True, default="")
    marketing_consent = models.BooleanField(default=False)
    # The slot the visitor chose (None: as soon as possible) and when the callback
    # is due by the site's SLA.
    callback_at = models.DateTimeField(null=True, blank=True)
    callback_due_at = models.DateTimeField(null=True, blank=True)
    overdue_since = models.DateTimeField(null=True, blank=True)
    # The due time a reminder was last queued for (a moved callback is reminded anew).
    reminded_for = models.DateTimeField(null=True, blank=True)
    # Attribution.
    visitor = models.ForeignKey(
        Visitor, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    # The targeting rule that led here (targeting app), by id.
    rule_id = models.BigIntegerField(null=True, blank=True)
    inflow = models.JSONField(default=dict, blank=True)
    submissions_count = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "phone"],
                condition=Q(status__in=["new", "contacted", "qualified"])
                & ~Q(phone=""),
                name="lead_one_open_per_phone",
            ),
            models.UniqueConstraint(
                fields=["site", "email"],
                condition=Q(status__in=["new", "contacted", "qualified"])
                & ~Q(email=""),
                name="lead_one_open_per_email",
            ),
        ]
        indexes = [
            models.Index(
                fields=["site", "-created_at", "-id"], name="lead_site_created_idx"
            ),
            models.Index(
                fields=["site", "status", "-created_at", "-id"],
                name="lead_site_status_idx",
            ),
            models.Index(
                fields=["site", "assignee", "status"], name="lead_site_assignee_idx"
            ),
            models.Index(fields=["status", "callback_due_at"], name="lead_due_idx"),
            models.Index(fields=["site", "updated_at"], name="lead_site_updated_idx"),
            models.Index(fields=["site", "phone"], name="lead_site_phone_idx"),
            models.Index(fields=["site", "email"], name="lead_site_email_idx"),
            models.Index(fields=["site", "callback_due_at"], name="lead_site_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.name}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class LeadSubmission(models.Model):
    """One submit of a form; the idempotency key makes a retry the same submit."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="submissions")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    idempotency_key = models.CharField(max_length=64)
    source = models.CharField(max_length=20, choices=Lead.Source)
    data = models.JSONField(default=dict)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["site", "idempotency_key"], name="lead_submission_idempotent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead_id}/{self.idempotency_key}"


class ConsentRecord(models.Model):
    class Kind(models.TextChoices):
        COLLECTION = "collection", _("Collection and use (required)")
        MARKETING = "marketing", _("Marketing (optional)")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="consents")
    submission = models.ForeignKey(
        LeadSubmission, on_delete=models.CASCADE, related_name="consents"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=Kind)
    granted = models.BooleanField()
    notice_version = models.CharField(max_length=40)
    language = models.CharField(max_length=10, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.kind}={self.granted} ({self.notice_version})"


class LeadEvent(models.Model):
    """The lead's timeline and full change history."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        SUBMITTED = "submitted", _("Submitted again")
        STATUS = "status", _("Status changed")
        ASSIGNEE = "assignee", _("Assignee changed")
        CALLBACK = "callback", _("Callback time changed")
        NOTE = "note", _("Note")
        NOTIFIED = "notified", _("Team notified")
        REMINDED = "reminded", _("Callback reminder sent")
        OVERDUE = "overdue", _("Callback overdue")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_name = models.CharField(max_length=80, blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    text = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["lead", "created_at"], name="lead_event_idx")]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.kind}"


class LeadNotice(models.Model):
    """An outgoing notice (e-mail and console alert), claimed before sending so a
    retried or redelivered task sends it once."""

    class Kind(models.TextChoices):
        NEW_LEAD = "new_lead", _("New lead")
        REMINDER = "reminder", _("Callback reminder")
        OVERDUE = "overdue", _("Callback overdue")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=10, choices=Kind)
    # Distinguishes repeats of a kind, e.g. the callback time a reminder is for.
    key = models.CharField(max_length=40, blank=True, default="")
    state = models.CharField(max_length=8, choices=State, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "kind", "key"], name="lead_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} {self.kind} {self.state}"


class AccessLog(models.Model):
    """Who saw or exported personal data (leads, and visitors' journeys,
    transcripts and conversations), when, what and from where. Holds ids, never the
    personal data itself."""

    class Action(models.TextChoices):
        LIST = "list", _("Listed")
        VIEW = "view", _("Viewed")
        EXPORT = "export", _("Exported (CSV)")
        PERSON_EXPORT = "person_export", _("Exported one person's data")
        ERASE = "erase", _("Erased one person's data")
        UPDATE = "update", _("Changed")
        PURGE = "purge", _("Destroyed after retention")
        # Visitors' personal data outside the lead list (privacy.personal_data_viewed).
        JOURNEY = "journey", _("Viewed a visitor's journey")
        TRANSCRIPT = "transcript", _("Read a chat transcript")
        CONVERSATIONS = "conversations", _("Listed or opened conversations")
        VISITORS = "visitors", _("Listed live visitors")
        PREVIEW = "preview", _("Previewed a rule for a visitor")

    created_at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    username = models.CharField(max_length=150, blank=True, default="")
    action = models.CharField(max_length=16, choices=Action)
    site = models.ForeignKey(
        Site, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lead_ids = models.JSONField(default=list, blank=True)
    # Visitors (chat.Visitor pks) and conversations whose data was shown.
    visitor_ids = models.JSONField(default=list, blank=True)
    conversation_ids = models.JSONField(default=list, blank=True)
    count = models.PositiveIntegerField(default=0)
    # The same view by the same user again soon after (the console refreshing an
    # open panel) is counted here instead of a new row; last_at is the latest.
    repeats = models.PositiveIntegerField(default=0)
    last_at = models.DateTimeField(null=True, blank=True)
    # The request's filters (search text masked) or the job's parameters.
    query = models.CharField(max_length=500, blank=True, default="")
    path = models.CharField(max_length=300, blank=True, default="")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.username} {self.action} {self.count}"
