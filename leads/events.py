"""Group names and payload builders for leads: the REST API, the CSV export and the
real-time frames build lead payloads with these functions, so they cannot drift."""

from __future__ import annotations

from datetime import datetime

from leads.models import Lead, LeadEvent


def site_visitors_group(site_id: int) -> str:
    """Every visitor socket of a site joins it (availability changes)."""
    return f"site_visitors.{site_id}"


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def lead_receipt(lead: Lead, *, duplicate: bool) -> dict:
    """What the visitor is told: no personal data beyond what they just sent."""
    return {
        "reference": lead.reference,
        "callback_at": _ts(lead.callback_at),
        "callback_due_at": _ts(lead.callback_due_at),
        "duplicate": duplicate,
    }


def lead_row(lead: Lead) -> dict:
    """A row of the managers' list (and of the CSV export)."""
    return {
        "id": lead.pk,
        "reference": lead.reference,
        "site": lead.site_id,
        "source": lead.source,
        "status": lead.status,
        "name": lead.name,
        "phone": lead.phone,
        "email": lead.email,
        "assignee": (
            {"id": lead.assignee.pk, "name": lead.assignee.display_name}
            if lead.assignee is not None
            else None
        ),
        "callback_at": _ts(lead.callback_at),
        "callback_due_at": _ts(lead.callback_due_at),
        "overdue": lead.overdue_since is not None and lead.is_open,
        "submissions": lead.submissions_count,
        "created_at": _ts(lead.created_at),
        "updated_at": _ts(lead.updated_at),
    }


def lead_detail(lead: Lead, *, display_phone: str) -> dict:
    """The lead page: the row plus message, fields, attribution, consent, history."""
    consents = sorted(lead.consents.all(), key=lambda c: c.created_at)
    return {
        **lead_row(lead),
        "phone_display": display_phone,
        "message": lead.message,
        "fields": lead.fields,
        "language": lead.language,
        "marketing_consent": lead.marketing_consent,
        "team": lead.team_id,
        "attribution": {
            "visitor": str(lead.visitor.public_id) if lead.visitor else None,
            "conversation": lead.conversation_id,
            "rule": lead.rule_id,
            "inflow": lead.inflow,
        },
        "consents": [
            {
                "kind": c.kind,
                "granted": c.granted,
                "notice_version": c.notice_version,
                "created_at": _ts(c.created_at),
            }
            for c in consents
        ],
        "timeline": [event_payload(e) for e in lead.events.all()],
    }


def event_payload(event: LeadEvent) -> dict:
    return {
        "id": event.pk,
        "kind": event.kind,
        "actor": event.actor_name or None,
        "data": event.data,
        "text": event.text,
        "created_at": _ts(event.created_at),
    }


def reminder_frame(lead: Lead, *, kind: str) -> dict:
    """Console alert for the assignee (no personal data: the console loads it)."""
    return {
        "type": "lead_alert",
        "kind": kind,
        "lead": {
            "id": lead.pk,
            "reference": lead.reference,
            "callback_at": _ts(lead.callback_at),
            "callback_due_at": _ts(lead.callback_due_at),
        },
    }
