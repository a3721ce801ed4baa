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
from django.db import connection, transaction
from django.utils import timezone

from chat import events
from chat.models import Conversation, Message
from core import realtime
from core.text import BadText, text_clean, text_length

SENDER_CAN_POST: dict[str, set[str]] = {
    # Form replies come only through leads.services.chatforms (validated there).
    Message.Sender.VISITOR: {Message.Kind.TEXT, Message.Kind.FORM_REPLY},
    Message.Sender.AGENT: {
        Message.Kind.TEXT,
        Message.Kind.CARD,
        Message.Kind.FORM,
        Message.Kind.NOTE,
    },
    # System notes: context for counselors (e.g. the targeting rule that invited).
    Message.Sender.SYSTEM: {Message.Kind.TEXT, Message.Kind.NOTE},
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


def _refuse(item: SendItem, conversation: _ConversationRow | None) -> tuple | None:
    if conversation is None:
        return ("not_found", "No such conversation.")
    if item.kind not in SENDER_CAN_POST.get(item.sender_kind, set()):
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
    if text_length(item.body) > settings.CHAT["MAX_TEXT_CHARS"]:
        return ("too_long", "The message is too long.")
    try:
        text_clean(item.body)
    except BadText as exc:
        return ("bad_field", f"'body' {exc}.")
    return None


@dataclass(slots=True)
class _ConversationRow:
    """What the write path needs of a locked conversation (no model instances:
    this is the hot path, see bench/append_cost.py)."""

    pk: int
    site_id: int
    visitor_id: int
    assignee_id: int | None
    status: str
    last_seq: int
    last_public_seq: int


def _marks(values) -> str:
    return ", ".join(["%s"] * len(values))


def _lock_conversations(cursor, conv_ids: list[int]) -> dict[int, _ConversationRow]:
    sql = (
        "SELECT id, site_id, visitor_id, assignee_id, status, last_seq, "
        "last_public_seq FROM chat_conversation "
        f"WHERE id IN ({_marks(conv_ids)}) ORDER BY id"
    )
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    cursor.execute(sql, conv_ids)
    return {row[0]: _ConversationRow(*row) for row in cursor.fetchall()}


def _stored_client_ids(cursor, conv_ids: list[int], client_ids: list[str]) -> dict:
    """(conversation, sender kind, sender id, client id) -> message id."""
    cursor.execute(
        "SELECT conversation_id, sender_kind, sender_id, client_id, id "
        f"FROM chat_message WHERE conversation_id IN ({_marks(conv_ids)}) "
        f"AND client_id IN ({_marks(client_ids)})",
        [*conv_ids, *client_ids],
    )
    return {tuple(row[:4]): row[4] for row in cursor.fetchall()}


def _save_conversations(cursor, rows: list[_ConversationRow], now: datetime) -> None:
    if connection.vendor == "postgresql":
        values = ", ".join(
            ["(%s::bigint, %s::integer, %s::integer, %s::varchar)"] * len(rows)
        )
        params: list = []
        for row in rows:
            params += [row.pk, row.last_seq, row.last_public_seq, row.status]
        cursor.execute(
            "UPDATE chat_conversation AS c SET last_seq = v.last_seq, "
            "last_public_seq = v.last_public_seq, status = v.status, "
            f"last_message_at = %s FROM (VALUES {values}) "
            "AS v(id, last_seq, last_public_seq, status) WHERE c.id = v.id",
            [now, *params],
        )
        return
    for row in rows:  # SQLite (the embedded demo): one cheap statement each
        Conversation.objects.filter(pk=row.pk).update(
            last_seq=row.last_seq,
            last_public_seq=row.last_public_seq,
            status=row.status,
            last_message_at=now,
        )


def messages_append(
    *, items: list[SendItem], now: datetime | None = None
) -> list[SendResult]:
    """Store `items` in one transaction and return one result per item, in order.

    A repeated (conversation, sender, client id) returns the stored message with
    `duplicate=True` and allocates nothing. A visitor writing into a conversation
    that waits for them makes it active again and alerts the assignee.
    Locks the conversations (ordered by id) for the transaction; publishes
    `message` frames (and `conversation` on such a return) after commit.
    """
    now = now or timezone.now()
    results = [SendResult() for _ in items]
    conv_ids = sorted({item.conversation_id for item in items})
    client_ids = sorted({item.client_id for item in items if item.client_id})
    with transaction.atomic(), connection.cursor() as cursor:
        conversations = _lock_conversations(cursor, conv_ids)
        stored = _stored_client_ids(cursor, conv_ids, client_ids) if client_ids else {}
        duplicates = Message.objects.in_bulk(
            [stored[key] for key in _keys(items) if key in stored]
        )
        fresh: list[Message] = []
        batch: dict[tuple, Message] = {}
        touched: dict[int, _ConversationRow] = {}
        returned: set[int] = set()
        for item, result in zip(items, results, strict=True):
            key = _key(item)
            if item.client_id and (key in stored or key in batch):
                message = batch.get(key) or duplicates[stored[key]]
                result.message, result.duplicate = message, True
                continue
            conversation = conversations.get(item.conversation_id)
            refusal = _refuse(item, conversation)
            if refusal or conversation is None:
                result.error = refusal or ("not_found", "No such conversation.")
                continue
            conversation.last_seq += 1
            if item.kind != Message.Kind.NOTE:
                conversation.last_public_seq = conversation.last_seq
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
                batch[key] = message
        if fresh:
            Message.objects.bulk_create(fresh)
            _save_conversations(cursor, list(touched.values()), now)
        frames = []
        if returned:  # rare: the full snapshot for the console's alert
            for snapshot in Conversation.objects.select_related(
                "assignee", "site", "visitor"
            ).filter(pk__in=returned):
                frames += events.conversation_frames(
                    snapshot, reason="visitor_returned"
                )
        for message in fresh:
            frames += events.message_frames(
                message, conversations[message.conversation_id]
            )
        realtime.publish_many(frames)
    return results


def _key(item: SendItem) -> tuple:
    return (item.conversation_id, item.sender_kind, item.sender_id, item.client_id)


def _keys(items: list[SendItem]) -> list[tuple]:
    return [_key(item) for item in items if item.client_id]


def message_history(
    *, conversation: Conversation, after_seq: int, for_visitor: bool, limit: int
) -> tuple[list[dict], bool]:
    """Messages with seq > after_seq, oldest first, and whether more follow."""
    qs = Message.objects.filter(conversation=conversation, seq__gt=after_seq)
    if for_visitor:
        qs = qs.exclude(kind__in=Message.STAFF_ONLY_KINDS)
    rows = list(qs.order_by("seq")[: limit + 1])
    return (
        [events.message_payload(m, for_visitor=for_visitor) for m in rows[:limit]],
        len(rows) > limit,
    )
