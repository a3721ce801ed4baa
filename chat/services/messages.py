"""Message writes: gap-free seq, idempotent by client id, many per transaction.

`messages_append` is the one write path for chat messages (sockets batch through
`chat.writer`, REST and tests call it directly). One transaction per batch:
lock the conversations (ordered by id), find client ids already stored, allocate seqs,
bulk insert, bulk update the conversations. Frames are published after commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from chat import events
from chat.models import Conversation, Message
from core import realtime

SENDER_CAN_POST = {
    Message.Sender.VISITOR: {Message.Kind.TEXT},
    Message.Sender.AGENT: {
        Message.Kind.TEXT,
        Message.Kind.CARD,
        Message.Kind.FORM,
        Message.Kind.NOTE,
    },
    Message.Sender.SYSTEM: {Message.Kind.TEXT},
}


@dataclass(slots=True)
class SendItem:
    conversation_id: int
    sender_kind: str
    sender_id: int
    client_id: str | None
    body: str = ""
    kind: str = Message.Kind.TEXT
    payload: dict | None = None
    sender_name: str = ""
    # For counselors: the sites they serve (None = trusted caller, e.g. system).
    site_ids: frozenset[int] | None = None


@dataclass(slots=True)
class SendResult:
    message: Message | None = None
    duplicate: bool = False
    error: tuple[str, str] | None = None  # (code, text)
    frames: list = field(default_factory=list)


def _refuse(item: SendItem, conversation: Conversation | None) -> tuple | None:
    if conversation is None:
        return ("not_found", "No such conversation.")
    if item.kind not in SENDER_CAN_POST.get(item.sender_kind, ()):
        return ("bad_kind", "You cannot send that kind of message.")
    if item.sender_kind == Message.Sender.VISITOR:
        if conversation.visitor_id != item.sender_id:
            return ("not_found", "No such conversation.")
    elif item.sender_kind == Message.Sender.AGENT:
        if item.site_ids is not None and conversation.site_id not in item.site_ids:
            return ("not_found", "No such conversation.")
        if (
            conversation.assignee_id != item.sender_id
            and item.kind != Message.Kind.NOTE
        ):
            return ("not_assignee", "This conversation is not assigned to you.")
    if conversation.status == Conversation.Status.CLOSED:
        return ("closed", "This conversation is closed.")
    if len(item.body) > settings.CHAT["MAX_TEXT_CHARS"]:
        return ("too_long", "The message is too long.")
    return None


def messages_append(
    *, items: list[SendItem], now: datetime | None = None
) -> list[SendResult]:
    """Store `items` in one transaction and return one result per item, in order.

    A repeated (conversation, sender, client id) returns the stored message with
    `duplicate=True` and allocates nothing. A visitor writing into a conversation
    that waits for them makes it active again and alerts the assignee.
    Publishes `message` frames (and `conversation` on such a return) after commit.
    """
    now = now or timezone.now()
    results = [SendResult() for _ in items]
    conv_ids = sorted({item.conversation_id for item in items})
    with transaction.atomic():
        conversations = {
            c.pk: c
            for c in Conversation.objects.select_for_update(of=("self",))
            .select_related("assignee", "site", "visitor")
            .filter(pk__in=conv_ids)
            .order_by("pk")
        }
        client_ids = {item.client_id for item in items if item.client_id}
        stored: dict[tuple, Message] = {}
        if client_ids:
            for message in Message.objects.filter(
                conversation_id__in=conv_ids, client_id__in=client_ids
            ):
                key = (
                    message.conversation_id,
                    message.sender_kind,
                    message.sender_id,
                    message.client_id,
                )
                stored[key] = message
        fresh: list[Message] = []
        touched: dict[int, Conversation] = {}
        returned: set[int] = set()
        for item, result in zip(items, results, strict=True):
            conversation = conversations.get(item.conversation_id)
            key = (
                item.conversation_id,
                item.sender_kind,
                item.sender_id,
                item.client_id,
            )
            if item.client_id and key in stored:
                result.message, result.duplicate = stored[key], True
                continue
            refusal = _refuse(item, conversation)
            if refusal:
                result.error = refusal
                continue
            conversation.last_seq += 1
            if item.kind != Message.Kind.NOTE:
                conversation.last_public_seq = conversation.last_seq
            conversation.last_message_at = now
            if (
                item.sender_kind == Message.Sender.VISITOR
                and conversation.status == Conversation.Status.WAITING
            ):
                conversation.status = Conversation.Status.ACTIVE
                returned.add(conversation.pk)
            message = Message(
                conversation_id=conversation.pk,
                seq=conversation.last_seq,
                sender_kind=item.sender_kind,
                sender_id=item.sender_id,
                sender_name=item.sender_name[:80],
                client_id=item.client_id,
                kind=item.kind,
                body=item.body,
                payload=item.payload,
                created_at=now,
            )
            fresh.append(message)
            touched[conversation.pk] = conversation
            result.message = message
            if item.client_id:
                stored[key] = message
        if fresh:
            Message.objects.bulk_create(fresh)
            Conversation.objects.bulk_update(
                list(touched.values()),
                ["last_seq", "last_public_seq", "last_message_at", "status"],
            )
        frames = []
        for pk in sorted(returned):
            frames += events.conversation_frames(
                conversations[pk], reason="visitor_returned"
            )
        for message in fresh:
            frames += events.message_frames(
                message, conversations[message.conversation_id]
            )
        realtime.publish_many(frames)
    return results


def message_history(
    *, conversation: Conversation, after_seq: int, for_visitor: bool, limit: int
) -> tuple[list[dict], bool]:
    """Messages with seq > after_seq, oldest first, and whether more follow."""
    qs = Message.objects.filter(conversation=conversation, seq__gt=after_seq)
    if for_visitor:
        qs = qs.exclude(kind=Message.Kind.NOTE)
    rows = list(qs.order_by("seq")[: limit + 1])
    return (
        [events.message_payload(m, for_visitor=for_visitor) for m in rows[:limit]],
        len(rows) > limit,
    )
