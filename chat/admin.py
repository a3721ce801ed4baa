from django.contrib import admin

from chat.models import Conversation, CounselorProfile, Message, Site, Team, Visitor


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "public_key", "routing", "time_zone")
    search_fields = ("name", "public_key")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "site")
    list_filter = ("site",)


@admin.register(CounselorProfile)
class CounselorProfileAdmin(admin.ModelAdmin):
    list_display = ("display_name", "user", "role", "status", "max_concurrent")
    list_filter = ("role", "status", "sites")
    filter_horizontal = ("sites", "teams")


@admin.register(Visitor)
class VisitorAdmin(admin.ModelAdmin):
    list_display = ("__str__", "site", "language", "first_seen_at", "last_seen_at")
    list_filter = ("site",)
    search_fields = ("public_id", "name")


class MessageInline(admin.TabularInline):
    model = Message
    extra = 0
    fields = ("seq", "sender_kind", "sender_name", "kind", "body", "created_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = ("pk", "site", "visitor", "status", "assignee", "created_at")
    list_filter = ("status", "site", "channel")
    raw_id_fields = ("visitor", "assignee")
    inlines = [MessageInline]


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    list_display = ("conversation", "seq", "sender_kind", "kind", "created_at")
    list_filter = ("sender_kind", "kind")
    search_fields = ("body",)
    raw_id_fields = ("conversation",)
