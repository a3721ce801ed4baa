"""Every string the widget shows, translated with Django's gettext."""

from django.utils.translation import gettext as _
from django.utils.translation import pgettext


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
        # Availability and the callback-request form (widget/70-*.js).
        "offline_status": _("Not available right now"),
        "offline_closed_hours": _("We are closed right now"),
        "offline_holiday": _("We are closed for a public holiday"),
        "offline_closure": _("We are temporarily closed"),
        "offline_no_hours": _("Chat is not available right now"),
        "offline_no_counselor": _("No counselor is available right now"),
        "offline_busy": _("All our counselors are busy"),
        "offline_holiday_named": _("Today is %(name)s."),
        "offline_wait": _("The wait is about %(minutes)s minutes right now."),
        "opens_today": _("We are back today at %(time)s."),
        "opens_tomorrow": _("We are back tomorrow at %(time)s."),
        "opens_on": _("We are back on %(day)s at %(time)s."),
        "offline_cta": _("Leave your number and we will call you back."),
        "today": _("Today"),
        "tomorrow": _("Tomorrow"),
        "callback_title": _("Request a callback"),
        "callback_link": _("Leave a callback instead of waiting"),
        "callback_intro": _(
            "Leave your number and we will call you back. Your place in the queue "
            "will be given up."
        ),
        "back_to_chat": _("Back to chat"),
        "field_name": _("Name"),
        "field_phone": _("Phone number"),
        "field_email": _("E-mail"),
        "field_slot": _("When should we call?"),
        "field_message": _("How can we help?"),
        "optional": _("optional"),
        "slot_asap": _("As soon as possible"),
        "slot_zone": _("Times are in your time zone (%(zone)s)."),
        "notice_purpose": _("Purpose"),
        "notice_items": _("Items collected"),
        "notice_retention": _("Retention"),
        "consent_collection": _(
            "I agree to the collection and use of my personal information (required)"
        ),
        "consent_marketing": _("I agree to receive marketing information (optional)"),
        "lead_submit": pgettext("button", "Request a callback"),
        "lead_loading": _("Loading…"),
        "lead_load_failed": _("The form could not be loaded."),
        "lead_retry": _("Try again"),
        # The server's own messages (leads/forms.py, translated in leads/locale), so
        # the widget's checks read exactly like the server's answers.
        "lead_error_name": _("Enter your name."),
        "lead_error_phone": _("Enter your phone number so we can call you back."),
        # The server's own messages (leads/forms.py): the browser says the same.
        "lead_error_phone_invalid": _(
            "Enter a valid phone number, for example 010-1234-5678."
        ),
        "lead_error_email": _("Enter a valid e-mail address."),
        "lead_error_consent": _(
            "Please agree to the collection and use of your personal information."
        ),
        "lead_error_fields": _("Please check the highlighted fields."),
        "lead_error_rate": _(
            "Too many requests. Please wait a minute and try again; what you typed "
            "is kept."
        ),
        "lead_error_network": _(
            "Your request could not be sent. Check your connection and try again."
        ),
        "lead_error_forbidden": _("Callback requests are not available on this page."),
        "done_title": _("Callback requested"),
        "done_at": _("We will call you on %(time)s."),
        "done_asap": _("We will call you back as soon as possible."),
        "done_reference": _("Reference %(reference)s"),
        "done_ok": _("Done"),
        # In-chat lead forms (widget/76-chat-form.js).
        "form_required": _("Fields marked * are required."),
        "form_submit": pgettext("button", "Submit"),
        "form_notice_details": _("Details"),
        "form_sent": _("Sent ✓ — reference %(reference)s"),
        "form_sent_plain": _("Sent ✓"),
        "form_removed": _("(removed)"),
        "form_error_closed": _(
            "This chat has ended, so the form can no longer be sent."
        ),
        "form_error_not_found": _("This form is no longer available."),
        "form_error_failed": _("The form could not be sent. Please try again."),
        # Targeting offers (widget/78-offers.js).
        "offer_chat_now": pgettext("button", "Chat now"),
        "offer_no_thanks": pgettext("button", "No thanks"),
        "offer_online": _("Online now"),
        "offer_copy": pgettext("button", "Copy"),
        "offer_copied": _("Copied to the clipboard."),
        "offer_code": _("Coupon code"),
        "offer_callback_yes": pgettext("button", "Yes, call me"),
        "offer_thanks": _("Thank you for your answer!"),
    }
