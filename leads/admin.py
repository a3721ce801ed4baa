"""Django admin for what managers configure: lead settings, opening hours,
closures; and the access log, read-only. Leads themselves are not in the admin:
their pages (/console/leads/) log every view of personal data, the admin would not.
"""

from django.contrib import admin

from core.admin import BoundedJSONMixin
from leads.models import AccessLog, Closure, LeadSettings, OpeningPeriod
from leads.services.availability import schedule_changed


class ScheduleAdmin(BoundedJSONMixin, admin.ModelAdmin):
    """Edits that change a site's availability tell every process and widget."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        schedule_changed(site_id=obj.site_id)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        schedule_changed(site_id=obj.site_id)

    def delete_queryset(self, request, queryset):
        site_ids = set(queryset.values_list("site_id", flat=True))
        super().delete_queryset(request, queryset)
        for site_id in site_ids:
            schedule_changed(site_id=site_id)


@admin.register(LeadSettings)
class LeadSettingsAdmin(ScheduleAdmin):
    list_display = [
        "site",
        "holiday_country",
        "max_expected_wait_seconds",
        "retention_days",
        "notice_version",
    ]


@admin.register(OpeningPeriod)
class OpeningPeriodAdmin(ScheduleAdmin):
    list_display = ["site", "team", "weekday", "opens", "closes"]
    list_filter = ["site", "team", "weekday"]


@admin.register(Closure)
class ClosureAdmin(ScheduleAdmin):
    list_display = ["site", "team", "starts_on", "ends_on", "reason"]
    list_filter = ["site"]
    date_hierarchy = "starts_on"


@admin.register(AccessLog)
class AccessLogAdmin(BoundedJSONMixin, admin.ModelAdmin):
    list_display = ["created_at", "username", "action", "site", "count", "ip", "path"]
    list_filter = ["action", "site"]
    search_fields = ["username", "ip"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
