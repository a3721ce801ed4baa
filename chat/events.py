"""Event names, group names and payload builders for chat.

The WebSocket push and the REST API build payloads with these functions, so the two
cannot drift. Visitor-facing builders never include internal notes, counselor ids of
other sites, or anything the visitor should not read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from chat.models import Conversation, CounselorProfile, Message


def visitor_group(visitor_id: int) -> str:
    return f"visitor.{visitor_id}"


def agent_group(profile_id: int) -> str:
    return f"agent.{profile_id}"


def site_group(site_id: int) -> str:
    return f"site.{site_id}"


def _ts(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def message_payload(message: Message, *, for_visitor: bool) -> dict:
    sender: dict[str, object] = {
        "kind": message.sender_kind,
        "name": message.sender_name,
    }
    data = {
        "id": message.pk,
        "conversation": message.conversation_id,
        "seq": message.seq,
        "sender": sender,
        "kind": message.kind,
        "body": message.body,
        "payload": message.payload,
        "client_id": message.client_id,
        "created_at": _ts(message.created_at),
    }
    if not for_visitor:
        sender["id"] = message.sender_id
    return data


def agent_payload(profile: CounselorProfile | None) -> dict | None:
    if profile is None:
        return None
    return {"id": profile.pk, "name": profile.display_name}


def conversation_for_visitor(
    conversation: Conversation, *, queue_position: int | None = None
) -> dict:
    assignee = conversation.assignee if conversation.assignee_id else None
    return {
        "id": conversation.pk,
        "status": conversation.status,
        "agent": {"name": assignee.display_name} if assignee else None,
        "last_seq": conversation.last_public_seq,
        "visitor_read_seq": conversation.visitor_read_seq,
        # Capped: a read marker on an internal note must not reveal that it exists.
        "agent_read_seq": min(
            conversation.agent_read_seq, conversation.last_public_seq
        ),
        "queue_position": queue_position,
        "created_at": _ts(conversation.created_at),
        "closed_at": _ts(conversation.closed_at),
    }


def conversation_for_agent(
    conversation: Conversation, *, queue_position: int | None = None
) -> dict:
    visitor = conversation.visitor
    return {
        "id": conversation.pk,
        "site": {"id": conversation.site_id, "name": conversation.site.name},
        "team": conversation.team_id,
        "channel": conversation.channel,
        "status": conversation.status,
        "assignee": agent_payload(conversation.assignee)
        if conversation.assignee_id
        else None,
        "visitor": {
            "id": visitor.pk,
            "public_id": str(visitor.public_id),
            "name": str(visitor),
            "language": visitor.language,
        },
        "last_seq": conversation.last_seq,
        "last_public_seq": conversation.last_public_seq,
        "visitor_read_seq": conversation.visitor_read_seq,
        "agent_read_seq": conversation.agent_read_seq,
        "queue_position": queue_position,
        "created_at": _ts(conversation.created_at),
        "queued_at": _ts(conversation.queued_at),
        "assigned_at": _ts(conversation.assigned_at),
        "first_assigned_at": _ts(conversation.first_assigned_at),
        "closed_at": _ts(conversation.closed_at),
        "last_message_at": _ts(conversation.last_message_at),
    }


def conversation_meta(conversation: Conversation) -> dict:
    """What sockets remember of a conversation (who to send typing to)."""
    return {
        "conversation": conversation.pk,
        "assignee": conversation.assignee_id,
        "status": conversation.status,
    }


def conversation_frames(
    conversation: Conversation,
    *,
    previous_assignee_id: int | None = None,
    reason: str = "updated",
    queue_position: int | None = None,
) -> list[tuple[str, dict]]:
    """Frames telling everyone concerned about a conversation's new state."""
    meta = conversation_meta(conversation)
    frames: list[tuple[str, dict]] = [
        (
            visitor_group(conversation.visitor_id),
            {
                "type": "conversation",
                "reason": reason,
                "conversation": conversation_for_visitor(
                    conversation, queue_position=queue_position
                ),
                "_meta": meta,
            },
        )
    ]
    agent_frame = {
        "type": "conversation",
        "_meta": meta,
        "reason": reason,
        "conversation": conversation_for_agent(
            conversation, queue_position=queue_position
        ),
    }
    targets = {
        pid
        for pid in (conversation.assignee_id, previous_assignee_id)
        if pid is not None
    }
    frames += [(agent_group(pid), agent_frame) for pid in sorted(targets)]
    return frames


def queue_frame(conversation: Conversation, *, op: str, position: int | None) -> tuple:
    return (
        site_group(conversation.site_id),
        {
            "type": "queue",
            "op": op,
            "conversation": conversation_for_agent(
                conversation, queue_position=position
            ),
        },
    )


class ConversationIds(Protocol):
    """What message frames need of a conversation (a model, or the write path's
    row: chat.services.messages)."""

    visitor_id: int
    assignee_id: int | None
    site_id: int


def message_frames(message: Message, conversation: ConversationIds) -> list[tuple]:
    frames = []
    if message.kind not in Message.STAFF_ONLY_KINDS:
        frames.append(
            (
                visitor_group(conversation.visitor_id),
                {
                    "type": "message",
                    "message": message_payload(message, for_visitor=True),
                },
            )
        )
    agent_frame = {
        "type": "message",
        "message": message_payload(message, for_visitor=False),
    }
    if conversation.assignee_id:
        frames.append((agent_group(conversation.assignee_id), agent_frame))
    else:
        frames.append((site_group(conversation.site_id), agent_frame))
    return frames


# -- frames answering one socket (REST and socket payloads share the builders above)


def ack_frame(client_id: str, result) -> dict:
    """The `ack` of a stored send (a `SendResult`: the message, and whether the
    client id had been stored already)."""
    message = result.message
    return {
        "type": "ack",
        "client_id": client_id,
        "conversation": message.conversation_id,
        "id": message.pk,
        "seq": message.seq,
        "created_at": message.created_at.isoformat(),
        "duplicate": result.duplicate,
    }


def conversation_frame(reason: str, snapshot: dict) -> dict:
    return {"type": "conversation", "reason": reason, "conversation": snapshot}


def history_frame(snapshot: dict, messages: list[dict], has_more: bool) -> dict:
    return {
        "type": "history",
        "conversation": snapshot,
        "messages": messages,
        "has_more": has_more,
    }


def typing_frame(
    conversation_id: int, sender: str, typing: bool, *, name: str | None = None
) -> dict:
    frame: dict = {"type": "typing", "conversation": conversation_id, "sender": sender}
    if name is not None:
        frame["name"] = name
    frame["typing"] = typing
    return frame
