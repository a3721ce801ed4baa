"""Every string the widget shows, translated with Django's gettext."""

from django.utils.translation import gettext as _


def widget_catalog() -> dict[str, str]:
    return {
        "launcher": _("Chat with us"),
        "title": _("Chat"),
        "placeholder": _("Type a message…"),
        "send": _("Send"),
        "close": _("Close"),
        "minimize": _("Minimize"),
        "start": _("Start chat"),
        "end_chat": _("End chat"),
        "queued": _("Waiting for a counselor"),
        "queue_position": _("You are number %(position)s in line"),
        "agent_joined": _("%(name)s joined the chat"),
        "agent_typing": _("%(name)s is typing…"),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "closed": _("This chat has ended."),
        "new_chat": _("Start a new chat"),
        "sending": _("Sending…"),
        "failed": _("Not sent. Tap to retry."),
        "read": _("Read"),
        "welcome": _("Hello! How can we help you today?"),
        "counselor": _("Counselor"),
        "you": _("You"),
        "unread": _("unread messages"),
        "error_too_long": _("The message is too long."),
        "error_rate": _("You are sending too fast. Please wait a moment."),
    }
