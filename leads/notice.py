"""The privacy notice shown above the consent boxes (PIPA art. 15 and 22: purpose,
items, retention, the right to refuse; marketing consent separate and optional).
The version in LeadSettings is stored with every consent record; change it whenever
this text changes so a consent always points at the words it was given to."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from leads.models import LeadSettings


def notice_payload(config: LeadSettings) -> dict:
    days = config.retention_days
    return {
        "version": config.notice_version,
        "title": _("Consent to the collection and use of personal information"),
        "purpose": _("To call you back and answer your enquiry."),
        "items": _("Name, phone number, e-mail address (optional), your message."),
        "retention": ngettext(
            "Kept for %(days)d day after the last contact, then destroyed.",
            "Kept for %(days)d days after the last contact, then destroyed.",
            days,
        )
        % {"days": days},
        "refusal": _("You may refuse; without this consent we cannot call you back."),
        "marketing": _(
            "Send me offers and news by phone or e-mail (optional; you can "
            "withdraw at any time)."
        ),
    }
