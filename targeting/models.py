"""Visitor behaviour: profiles (identity and CRM attributes), visits (sessions with
their inflow) and the tracking events themselves.

The live state of a visitor is in memory (targeting.live); these tables are the
record it is rebuilt from, written in batches (targeting.writer).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from chat.models import Site, Visitor


class VisitorProfile(models.Model):
    visitor = models.OneToOneField(
        Visitor, on_delete=models.CASCADE, primary_key=True, related_name="profile"
    )
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    # The site's own user id, from a verified identify call.
    user_id = models.CharField(max_length=80, blank=True, default="")
    crm = models.JSONField(default=dict, blank=True)
    crm_at = models.DateTimeField(null=True, blank=True)
    visits = models.PositiveIntegerField(default=0)
    first_visit_at = models.DateTimeField(null=True, blank=True)
    last_visit_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["site", "user_id"], name="profile_user_idx")]

    def __str__(self) -> str:
        return f"Profile of {self.visitor_id}"


class VisitSession(models.Model):
    """One visit (a browser tab session): where it came from, on what device."""

    class Device(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        TABLET = "tablet", _("Tablet")
        DESKTOP = "desktop", _("Desktop")

    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, related_name="visit_sessions"
    )
    key = models.CharField(max_length=64)
    started_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    landing = models.CharField(max_length=500, blank=True, default="")
    referrer = models.CharField(max_length=500, blank=True, default="")
    utm_source = models.CharField(max_length=200, blank=True, default="")
    utm_medium = models.CharField(max_length=200, blank=True, default="")
    utm_campaign = models.CharField(max_length=200, blank=True, default="")
    utm_term = models.CharField(max_length=200, blank=True, default="")
    utm_content = models.CharField(max_length=200, blank=True, default="")
    keyword = models.CharField(max_length=200, blank=True, default="")
    device = models.CharField(max_length=10, choices=Device, default=Device.DESKTOP)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["visitor", "key"], name="visit_session_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id}/{self.key}"


class TrackEvent(models.Model):
    class Kind(models.TextChoices):
        SESSION = "session", _("Visit started")
        PAGE_VIEW = "page_view", _("Page view")
        SEARCH = "search", _("Search")
        CART_ADD = "cart_add", _("Added to cart")
        CART_REMOVE = "cart_remove", _("Removed from cart")
        CHECKOUT = "checkout", _("Checkout step")
        PURCHASE = "purchase", _("Purchase")
        IDENTIFY = "identify", _("Identified")

    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, related_name="track_events"
    )
    session_key = models.CharField(max_length=64, blank=True, default="")
    kind = models.CharField(max_length=12, choices=Kind)
    at = models.DateTimeField()
    url = models.CharField(max_length=500, blank=True, default="")
    # The validated event as received (targeting.tracking.TrackedEvent.data).
    data = models.JSONField(default=dict)

    class Meta:
        indexes = [models.Index(fields=["visitor", "at"], name="track_visitor_at_idx")]

    def __str__(self) -> str:
        return f"{self.visitor_id} {self.kind} {self.at:%Y-%m-%d %H:%M:%S}"
