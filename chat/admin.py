from django.contrib import admin

from chat.models import Conversation, CounselorProfile, Message, Site, Team, Visitor
from core.admin import BoundedJSONMixin


@admin.register(Site)
class SiteAdmin(BoundedJSONMixin, admin.ModelAdmin):
    list_display = ("name", "public_key", "routing", "time_zone")
    search_fields = ("name", "public_key")


@admin.register(Team)
class TeamAdmin(BoundedJSONMixin, admin.ModelAdmin):
    list_display = ("name", "site")
    list_filter = ("site",)


@admin.register(CounselorProfile)
class CounselorProfileAdmin(BoundedJSONMixin, admin.ModelAdmin):
    list_display = ("display_name", "user", "role", "status", "max_concurrent")
    list_filter = ("role", "status", "sites")
    filter_horizontal = ("sites", "teams")
    # Presence and routing bookkeeping, written by the services only.
    readonly_fields = ("last_seen_at", "last_assigned_at")


@admin.register(Visitor)
class VisitorAdmin(BoundedJSONMixin, admin.ModelAdmin):
    list_display = ("__str__", "site", "language", "first_seen_at", "last_seen_at")
    list_filter = ("site",)
    search_fields = ("public_id", "name")


class MessageInline(BoundedJSONMixin, admin.TabularInline):
    model = Message
    extra = 0
    fields = ("seq", "sender_kind", "sender_name", "kind", "body", "created_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(BoundedJSONMixin, admin.ModelAdmin):
    list_display = ("pk", "site", "visitor", "status", "assignee", "created_at")
    list_filter = ("status", "site", "channel")
    raw_id_fields = ("visitor", "assignee")
    inlines = [MessageInline]
    # Counters and times the services keep under the conversation's lock: an edit
    # here would break gap-free seqs, resync and read markers, or the queue figures.
    readonly_fields = (
        "last_seq",
        "last_public_seq",
        "visitor_read_seq",
        "agent_read_seq",
        "created_at",
        "queued_at",
        "assigned_at",
        "first_assigned_at",
        "closed_at",
        "last_message_at",
    )


@admin.register(Message)
class MessageAdmin(BoundedJSONMixin, admin.ModelAdmin):
    list_display = ("conversation", "seq", "sender_kind", "kind", "created_at")
    list_filter = ("sender_kind", "kind")
    search_fields = ("body",)
    raw_id_fields = ("conversation",)
    # The transcript's order and idempotency keys.
    readonly_fields = (
        "conversation",
        "seq",
        "sender_kind",
        "sender_id",
        "client_id",
        "created_at",
    )
