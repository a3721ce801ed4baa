"""In-chat lead forms: the counselor sends the site's form into the chat; the
visitor's answer becomes a lead linked to the conversation and a `form_reply`
message both sides see.

Both steps are idempotent by the visitor's client id, so a resend after a lost ack
gives the same lead and the same message: the lead is committed first (its
idempotency key is derived from the client id), then the reply is appended.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import translation

from chat import events as chat_events
from chat.models import Conversation, CounselorProfile, Message, Visitor
from chat.services.messages import SendItem, SendResult, messages_append
from core import realtime
from core.errors import ServiceError
from leads.forms import clean_chat_form, clean_inflow
from leads.models import Lead
from leads.notice import notice_payload
from leads.services.availability import lead_settings_for
from leads.services.capture import lead_capture


def lead_form_send(
    *, counselor: CounselorProfile, conversation_id: int, client_id: str
) -> SendResult:
    """Append the site's lead form (with the privacy notice in the visitor's
    language) as a `form` message from the counselor."""
    conversation = (
        Conversation.objects.select_related("site", "visitor")
        .filter(pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise ServiceError("not_found", "No such conversation.")
    config = lead_settings_for(conversation.site)
    language = "ko" if conversation.visitor.language.startswith("ko") else "en"
    form = config.chat_form
    with translation.override(language):
        payload = {
            "title": translation.gettext(str(form.get("title", "")))[:120],
            "fields": [
                {**spec, "label": translation.gettext(spec["label"])[:80]}
                for spec in form.get("fields", [])[:10]
            ],
            "lead": True,
            "notice": notice_payload(config),
        }
    return messages_append(
        items=[
            SendItem(
                conversation_id=conversation.pk,
                sender_kind=Message.Sender.AGENT,
                sender_id=counselor.pk,
                sender_name=counselor.display_name,
                client_id=client_id,
                kind=Message.Kind.FORM,
                body=str(payload["title"]),
                payload=payload,
                site_ids=frozenset(counselor.sites.values_list("pk", flat=True)),
            )
        ]
    )[0]


def form_reply_submit(
    *,
    visitor: Visitor,
    conversation_id: int,
    form_seq: int,
    values: object,
    consent: object,
    client_id: str,
    inflow: object = None,
    ip: str | None = None,
    user_agent: str = "",
) -> tuple[SendResult, Lead]:
    """Validate the visitor's answer against the form as it was sent, capture the
    lead, append the reply. Raises leads.forms.FormInvalid (per-field messages in
    the visitor's language) or ServiceError."""
    conversation = (
        Conversation.objects.select_related("site")
        .filter(pk=conversation_id, visitor=visitor)
        .first()
    )
    if conversation is None:
        raise ServiceError("not_found", "No such conversation.")
    if conversation.status == Conversation.Status.CLOSED:
        raise ServiceError("closed", "This conversation is closed.")
    form = Message.objects.filter(
        conversation=conversation, seq=form_seq, kind=Message.Kind.FORM
    ).first()
    if (
        form is None
        or not isinstance(form.payload, dict)
        or not form.payload.get("lead")
    ):
        raise ServiceError("not_found", "No such lead form in this conversation.")
    config = lead_settings_for(conversation.site)
    language = "ko" if visitor.language.startswith("ko") else "en"
    # The visitor agreed to the notice the form carried, even if it changed since.
    shown = (form.payload.get("notice") or {}).get("version") or config.notice_version
    with translation.override(language):
        cleaned = clean_chat_form(
            form.payload,
            values,
            consent if isinstance(consent, dict) else {},
            region=config.phone_region,
            notice_version=shown,
        )
    cleaned.inflow = clean_inflow(inflow)
    with transaction.atomic():
        # Under the conversation's lock: one answer per form, even from two tabs.
        Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
        answered = (
            Message.objects.filter(
                conversation=conversation,
                kind=Message.Kind.FORM_REPLY,
                payload__form_seq=form_seq,
            )
            .exclude(client_id=client_id)
            .exists()
        )
        if answered:
            raise ServiceError("already_answered", "This form has been answered.")
        return _answer(
            conversation, visitor, form, form_seq, values, cleaned, client_id,
            ip=ip, user_agent=user_agent, language=language,
        )  # fmt: skip


def _answer(conversation, visitor, form, form_seq, values, cleaned, client_id, *,
            ip, user_agent, language):  # fmt: skip
    if cleaned.name and cleaned.name[:80] != visitor.name:
        _name_visitor(conversation, visitor, cleaned.name[:80])
    captured = lead_capture(
        site=conversation.site,
        source=Lead.Source.IN_CHAT_FORM,
        data=cleaned,
        idempotency_key=f"chat:{conversation.pk}:{client_id}"[:64],
        visitor=visitor,
        conversation=conversation,
        team_id=conversation.team_id,
        ip=ip,
        user_agent=user_agent,
        language=language,
    )
    labels = {f["name"]: f.get("label", f["name"]) for f in form.payload["fields"]}
    answered = [
        {"name": name, "label": labels[name], "value": str(values.get(name)).strip()}
        for name in labels
        if isinstance(values.get(name), str) and values[name].strip()
    ]
    result = messages_append(
        items=[
            SendItem(
                conversation_id=conversation.pk,
                sender_kind=Message.Sender.VISITOR,
                sender_id=visitor.pk,
                sender_name=visitor.name,
                client_id=client_id,
                kind=Message.Kind.FORM_REPLY,
                body="\n".join(f"{a['label']}: {a['value']}" for a in answered),
                payload={
                    "form_seq": form_seq,
                    "lead": captured.lead.reference,
                    "fields": answered,
                },
            )
        ]
    )[0]
    if result.error:
        raise ServiceError(*result.error)
    return result, captured.lead


def _name_visitor(conversation: Conversation, visitor: Visitor, name: str) -> None:
    """The name the visitor gave in the form becomes their name: the reply is sent
    under it, and the counselors of the chat see it (a `conversation` frame, after
    commit). The newest name given wins."""
    Visitor.objects.filter(pk=visitor.pk).update(name=name)
    visitor.name = name
    fresh = Conversation.objects.select_related("site", "visitor", "assignee").get(
        pk=conversation.pk
    )
    realtime.publish_many(
        (group, frame)
        for group, frame in chat_events.conversation_frames(fresh, reason="updated")
        if group != chat_events.visitor_group(visitor.pk)
    )
