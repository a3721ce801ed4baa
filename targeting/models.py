"""Visitor behaviour: profiles (identity and CRM attributes), visits (sessions with
their inflow) and the tracking events themselves; rules, coupon pools, and offers
(each exposure of a visitor to a rule, with its answer).

The live state of a visitor is in memory (targeting.live); these tables are the
record it is rebuilt from, written in batches (targeting.writer).
"""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from chat.models import Conversation, Site, Visitor
from targeting.engine.validation import rule_fields_check


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


# Rules, what they show, and what happened.


def _no_pages() -> list:
    return []


class Rule(models.Model):
    """A targeting rule: when ``condition`` holds (on ``target_pages``), show
    ``action``. Validated by ``clean()`` (targeting.engine.validation); compiled
    and cached per site by targeting.services.rules.site_rules."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="rules")
    name = models.CharField(max_length=120)
    active = models.BooleanField(default=True)
    priority = models.IntegerField(
        default=0,
        help_text=_(
            "When several rules match, the highest priority wins (ties: the older "
            "rule). One offer is shown at a time."
        ),
    )
    condition = models.JSONField(
        help_text=_(
            'The condition, e.g. {"all": [{"field": "category", "op": "eq", '
            '"value": "bags"}, {"field": "dwell", "gte": 60}]}. See '
            "docs/targeting.md for every field."
        )
    )
    target_pages = models.JSONField(
        default=_no_pages,
        blank=True,
        help_text=_(
            'Pages where the rule may fire: path prefixes ("/cards/apply") or '
            'regular expressions ("re:^/products/\\d+$"). Empty: every page.'
        ),
    )
    action = models.JSONField(
        help_text=_(
            'What to show, e.g. {"kind": "banner", "title": "Bags -20% today", '
            '"body": "Hello {{name|there}}", "cta": {"label": "See bags", "url": '
            '"https://shop.example.com/bags"}}. Kinds: chat_invite, banner, coupon, '
            "callback, survey."
        )
    )
    fallback = models.JSONField(
        null=True,
        blank=True,
        help_text=_(
            "For a chat invitation: the action shown instead when no counselor has "
            "free capacity; for a coupon: when its pool has no code left (e.g. "
            '{"kind": "callback", "title": "We call you back"}). Empty: show '
            "nothing then."
        ),
    )
    cap_per_visitor = models.PositiveIntegerField(
        default=0, help_text=_("At most this many times per visitor (0: no cap).")
    )
    cap_per_session = models.PositiveIntegerField(
        default=0, help_text=_("At most this many times per visit (0: no cap).")
    )
    cap_days = models.PositiveIntegerField(
        default=0,
        help_text=_("At most once every this many days per visitor (0: no cap)."),
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    hours_from = models.TimeField(
        null=True,
        blank=True,
        help_text=_(
            "Daily hours in the site's time zone, with 'hours until'; a range like "
            "21:00-09:00 runs past midnight. Empty: all day."
        ),
    )
    hours_until = models.TimeField(null=True, blank=True)
    holdout_percent = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(50)],
        help_text=_(
            "Share of matching visitors (0-50 %) who are not shown the offer, so its "
            "lift can be measured against them."
        ),
    )
    offer_timeout_seconds = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3600)],
        help_text=_("An offer not answered within this time counts as ignored."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-priority", "id"]
        indexes = [models.Index(fields=["site", "active"], name="rule_site_active_idx")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """The fields checked together (targeting.engine.validation); stores the
        normalised action and fallback."""
        checked = rule_fields_check(
            condition=self.condition,
            target_pages=self.target_pages,
            action=self.action,
            fallback=self.fallback,
            hours_from=self.hours_from,
            hours_until=self.hours_until,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            pool_exists=lambda pk: CouponPool.objects.filter(
                pk=pk, site_id=self.site_id
            ).exists(),
        )
        self.action, self.fallback = checked.action, checked.fallback
        if checked.errors:
            raise ValidationError(checked.errors)


class CouponPool(models.Model):
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="coupon_pools"
    )
    name = models.CharField(max_length=120)
    low_stock_threshold = models.PositiveIntegerField(
        default=10,
        help_text=_(
            "Warn the site's managers (e-mail, and a flag in the admin and the "
            "results) when this many free codes or fewer are left. A rule whose pool "
            "is empty shows its fallback instead."
        ),
    )
    # When the low-stock e-mail went out for the current shortage; cleared when
    # codes are added above the threshold again.
    low_notified_at = models.DateTimeField(null=True, blank=True, editable=False)

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    """One code of a pool; a visitor gets at most one code per pool."""

    pool = models.ForeignKey(CouponPool, on_delete=models.CASCADE, related_name="codes")
    code = models.CharField(max_length=40)
    visitor = models.ForeignKey(
        Visitor,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="coupons",
    )
    assigned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pool", "code"], name="coupon_unique_code"),
            models.UniqueConstraint(
                fields=["pool", "visitor"], name="coupon_one_per_visitor"
            ),
        ]
        indexes = [
            models.Index(
                fields=["pool", "id"],
                condition=models.Q(visitor__isnull=True),
                name="coupon_free_idx",
            )
        ]

    def __str__(self) -> str:
        return self.code


class Offer(models.Model):
    """One exposure of a visitor to a rule: shown (treatment) or held out."""

    class Variant(models.TextChoices):
        TREATMENT = "treatment", _("Treatment")
        HOLDOUT = "holdout", _("Holdout")

    class State(models.TextChoices):
        SHOWN = "shown", _("Shown")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")
        IGNORED = "ignored", _("Ignored (timed out)")
        HELD_OUT = "held_out", _("Held out")

    class Kind(models.TextChoices):
        CHAT_INVITE = "chat_invite", _("Chat invitation")
        BANNER = "banner", _("Banner")
        COUPON = "coupon", _("Coupon")
        CALLBACK = "callback", _("Callback offer")
        SURVEY = "survey", _("Survey")

    # RESTRICT: a rule with exposures keeps its results (deactivate it instead),
    # but deleting its site or the visitor still deletes them.
    rule = models.ForeignKey(Rule, on_delete=models.RESTRICT, related_name="offers")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    visitor = models.ForeignKey(
        Visitor, on_delete=models.CASCADE, related_name="offers"
    )
    session_key = models.CharField(max_length=64, blank=True, default="")
    variant = models.CharField(
        max_length=10, choices=Variant, default=Variant.TREATMENT
    )
    kind = models.CharField(max_length=12, choices=Kind)
    # What was shown (targeting.engine.actions.render_action), or would have been.
    payload = models.JSONField(default=dict, blank=True)
    coupon = models.ForeignKey(
        Coupon, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State, default=State.SHOWN)
    shown_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)
    conversation = models.ForeignKey(
        Conversation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        indexes = [
            models.Index(fields=["rule", "visitor"], name="offer_rule_visitor_idx"),
            models.Index(fields=["visitor", "shown_at"], name="offer_visitor_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id}->{self.visitor_id} {self.variant} {self.state}"
