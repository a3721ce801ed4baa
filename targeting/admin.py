"""Django admin for targeting: rules (with their results and a preview for one
visitor), coupon pools and their codes, and the offers shown, read-only.

Saving or deleting a rule tells every process to reload the site's rules
(``rules_changed``). The consoles issue gives rules their own editor later.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html

from core.admin import BoundedJSONMixin
from core.errors import ServiceError
from core.forms import BoundedJSONField
from leads.models import AccessLog
from leads.services.privacy import personal_data_viewed
from targeting.models import Coupon, CouponPool, Offer, Rule
from targeting.services.coupons import (
    coupon_codes_add,
    coupon_codes_parse,
    stock_label,
)
from targeting.services.preview import preview_text, rule_preview, visitor_by_id
from targeting.services.results import results_text, rule_results
from targeting.services.rules import rules_changed


class PrettyJSONField(BoundedJSONField):
    """JSON shown indented, so a condition reads as a tree."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, indent=2, ensure_ascii=False)


JSON_OVERRIDES = {
    models.JSONField: {
        "form_class": PrettyJSONField,
        "widget": forms.Textarea(
            attrs={"rows": 14, "cols": 90, "style": "font-family: monospace"}
        ),
    }
}


@admin.register(Rule)
class RuleAdmin(BoundedJSONMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "site",
        "active",
        "priority",
        "action_kind",
        "holdout_percent",
        "updated_at",
    ]
    list_filter = ["site", "active"]
    list_editable = ["active"]
    search_fields = ["name"]
    formfield_overrides = JSON_OVERRIDES
    readonly_fields = ["results", "created_at", "updated_at"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["site", "name", "active", "priority"]}),
            (
                "When",
                {
                    "fields": ["condition", "target_pages"],
                    "description": (
                        "Compose with all / any / not; every field is listed in "
                        "docs/targeting.md. Errors name the JSON path, e.g. "
                        "$.all[1].field."
                    ),
                },
            ),
            (
                "What",
                {
                    "fields": ["action", "fallback"],
                    "description": (
                        "Title and body may use {{name}}, {{crm.segment}}, "
                        "{{product_name}}, {{category}}, with a default after a bar: "
                        "{{name|there}}."
                    ),
                },
            ),
            (
                "How often",
                {
                    "fields": [
                        ("cap_per_visitor", "cap_per_session", "cap_days"),
                        ("starts_at", "ends_at"),
                        ("hours_from", "hours_until"),
                        "offer_timeout_seconds",
                    ]
                },
            ),
            ("Measurement", {"fields": ["holdout_percent"]}),
        ]
        if obj is not None:
            # The admin renders a description as HTML: build the link, escaped.
            url = reverse("targeting:rule-results", args=[obj.pk])
            fieldsets.append(
                (
                    "Results",
                    {
                        "fields": ["results", ("created_at", "updated_at")],
                        "description": format_html(
                            "Exposures of this rule and what followed within 7 days, "
                            'treatment vs holdout. Per-window figures: <a href="{}">'
                            "{}</a> (add <code>?days=N</code>, 1 to 90).",
                            f"{url}?days=7",
                            url,
                        ),
                    },
                )
            )
        return fieldsets

    @admin.display(description="Action")
    def action_kind(self, obj):
        return (obj.action or {}).get("kind", "?")

    @admin.display(description="Results")
    def results(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        return format_html(
            "<pre style='margin:0'>{}</pre>", results_text(rule_results(rule=obj))
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        raw = request.GET.get("preview_visitor", "").strip()
        if raw and request.method == "GET":
            extra_context["preview_visitor"] = raw
            extra_context["preview_text"] = self._preview(request, object_id, raw)
        return super().change_view(request, object_id, form_url, extra_context)

    def _preview(self, request, object_id, raw: str) -> str:
        rule = Rule.objects.select_related("site").filter(pk=object_id).first()
        if rule is None:
            return "Unknown rule."
        try:
            visitor = visitor_by_id(site_id=rule.site_id, raw=raw)
        except ServiceError as exc:
            if exc.code == "not_found":
                return "No visitor with that id on this rule's site."
            return exc.message
        text = preview_text(rule_preview(rule=rule, visitor=visitor))
        personal_data_viewed(
            request=request,
            action=AccessLog.Action.PREVIEW,
            site_id=rule.site_id,
            visitor_ids=[visitor.pk],
            via=f"rule={rule.pk}",
        )
        return text

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        rules_changed(site_id=obj.site_id)
        old_site = form.initial.get("site") if change else None
        if old_site and old_site != obj.site_id:
            rules_changed(site_id=old_site)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        rules_changed(site_id=obj.site_id)

    def delete_queryset(self, request, queryset):
        site_ids = set(queryset.values_list("site_id", flat=True))
        super().delete_queryset(request, queryset)
        for site_id in site_ids:
            rules_changed(site_id=site_id)


class CouponInline(BoundedJSONMixin, admin.TabularInline):
    """Adds codes one by one. Existing codes are listed under Coupons (a pool may
    hold thousands: the pool page stays light)."""

    model = Coupon
    fields = ["code"]
    extra = 3
    verbose_name_plural = "Add codes"

    def get_queryset(self, request):
        return super().get_queryset(request).none()


class CouponPoolForm(forms.ModelForm):
    bulk_codes = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 8, "style": "font-family: monospace"}),
        help_text="Codes to add, one per line (codes already in the pool are skipped).",
    )

    class Meta:
        model = CouponPool
        fields = ["site", "name", "low_stock_threshold"]

    def clean_bulk_codes(self):
        codes, problems = coupon_codes_parse(self.cleaned_data["bulk_codes"])
        if problems:
            raise forms.ValidationError(problems[:10])
        return codes


@admin.register(CouponPool)
class CouponPoolAdmin(BoundedJSONMixin, admin.ModelAdmin):
    form = CouponPoolForm
    inlines = [CouponInline]
    list_display = ["name", "site", "free_codes", "assigned_codes", "stock"]
    list_filter = ["site"]
    readonly_fields = ["free_codes", "assigned_codes", "stock"]
    fields = [
        "site",
        "name",
        "bulk_codes",
        ("free_codes", "assigned_codes"),
        ("low_stock_threshold", "stock"),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_free=models.Count("codes", filter=models.Q(codes__visitor=None)),
                n_assigned=models.Count(
                    "codes", filter=models.Q(codes__visitor__isnull=False)
                ),
            )
        )

    @admin.display(description="Free codes")
    def free_codes(self, obj):
        return getattr(obj, "n_free", 0)

    @admin.display(description="Assigned codes")
    def assigned_codes(self, obj):
        return getattr(obj, "n_assigned", 0)

    @admin.display(description="Stock")
    def stock(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        label = stock_label(getattr(obj, "n_free", 0), obj.low_stock_threshold)
        if label == "ok":
            return label
        return format_html(
            '<strong style="color: #ba2121" class="coupon-stock-low">{}</strong>', label
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        codes = form.cleaned_data.get("bulk_codes") or []
        if codes:
            added = coupon_codes_add(pool=form.instance, codes=codes)
            self.message_user(
                request, f"{added} code(s) added, {len(codes) - added} already there."
            )


@admin.register(Coupon)
class CouponAdmin(BoundedJSONMixin, admin.ModelAdmin):
    list_display = ["code", "pool", "visitor", "assigned_at"]
    list_filter = ["pool"]
    search_fields = ["code"]
    readonly_fields = ["visitor", "assigned_at"]
    list_select_related = ["pool", "visitor"]


@admin.register(Offer)
class OfferAdmin(BoundedJSONMixin, admin.ModelAdmin):
    list_display = [
        "shown_at",
        "rule",
        "visitor",
        "variant",
        "kind",
        "state",
        "answered_at",
    ]
    list_filter = ["rule", "state", "variant"]
    list_select_related = ["rule", "visitor"]
    date_hierarchy = "shown_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
