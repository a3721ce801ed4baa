"""System lines in a conversation's transcript: assignments, transfers, requeues and
closes (who and when), and system text both sides see (an invitation's words).

They are messages like any other (a `seq` under the conversation's row lock, resynced
by `sync`), so the console and the history show them in place. Events are of kind
`event` and for counselors only (like notes): they name colleagues and teams, and the
widget already learns the same change from the `conversation` frame.

The callers hold a transaction in which the conversation's row is (or is about to be)
locked; the seq is taken with `UPDATE ... last_seq + 1`, which locks the row until
commit, so it stays gap-free next to `messages_append`.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F

from chat import events
from chat.models import Conversation, CounselorProfile, Message, Team, Visitor
from core import realtime

SYSTEM_ACTOR = {"kind": "system"}


def actor_of(
    *, counselor: CounselorProfile | None = None, visitor: Visitor | None = None
) -> dict:
    """Who did it, as stored in an event's payload (`by`)."""
    if counselor is not None:
        return {"kind": "agent", "id": counselor.pk, "name": counselor.display_name}
    if visitor is not None:
        return {"kind": "visitor", "id": visitor.pk, "name": str(visitor)}
    return dict(SYSTEM_ACTOR)


def _who(profile: CounselorProfile | None) -> dict | None:
    return {"id": profile.pk, "name": profile.display_name} if profile else None


def _by_text(by: dict) -> str:
    if by["kind"] == "agent":
        return f" by {by['name']}"
    if by["kind"] == "visitor":
        return " by the visitor"
    return ""


REQUEUE_WHY = {
    "offline": "went offline",
    "logged_out": "logged out",
    "no_heartbeat": "was not seen within the grace period",
}


def _event_text(payload: dict) -> str:
    event, by = payload["event"], payload["by"]
    if event == "assigned":
        how = "Accepted" if by["kind"] == "agent" else "Assigned"
        if by["kind"] == "agent":
            return f"{how} by {payload['to']['name']}"
        return f"{how} to {payload['to']['name']}"
    if event == "transferred":
        target = (
            payload["to"]["name"]
            if payload.get("to")
            else f"the {payload['team']['name']} queue"
        )
        return f"Transferred{_by_text(by)} to {target}"
    if event == "requeued":
        previous = payload.get("from")
        why = REQUEUE_WHY.get(payload.get("reason", ""), "left")
        name = previous["name"] if previous else "The counselor"
        return f"{name} {why}; back in the queue"
    if event == "closed":
        return f"Closed{_by_text(by)}"
    return event


def _append(
    conversation: Conversation,
    *,
    kind: str,
    body: str,
    payload: dict | None,
    now: datetime,
    sender_name: str = "",
    client_id: str | None = None,
) -> Message:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("transcript lines are written inside the caller's lock")
    changes: dict = {"last_seq": F("last_seq") + 1}
    if kind not in Message.STAFF_ONLY_KINDS:
        # SET uses the old values on both sides: the new seq is public.
        changes.update(last_public_seq=F("last_seq") + 1, last_message_at=now)
    Conversation.objects.filter(pk=conversation.pk).update(**changes)
    fields = [name for name in changes if name != "last_message_at"]
    row = Conversation.objects.filter(pk=conversation.pk).values(*fields).get()
    for name, value in row.items():
        setattr(conversation, name, value)
    message = Message.objects.create(
        conversation_id=conversation.pk,
        seq=conversation.last_seq,
        sender_kind=Message.Sender.SYSTEM,
        sender_id=0,
        sender_name=sender_name[:80],
        client_id=client_id,
        kind=kind,
        body=body,
        payload=payload,
        created_at=now,
    )
    # After commit, in order after the frames the caller registered before.
    realtime.publish_many(events.message_frames(message, conversation))
    return message


def conversation_event_record(
    *,
    conversation: Conversation,
    event: str,
    now: datetime,
    by: dict | None = None,
    previous: CounselorProfile | None = None,
    to: CounselorProfile | None = None,
    team: Team | None = None,
    reason: str = "",
) -> Message:
    """Write one system event (assigned, transferred, requeued, closed) into the
    transcript. `conversation` holds its new state; the caller holds the
    transaction (and the row lock or the site's routing lock)."""
    payload: dict = {"event": event, "by": by or dict(SYSTEM_ACTOR)}
    if previous is not None:
        payload["from"] = _who(previous)
    if to is not None:
        payload["to"] = _who(to)
    if team is not None:
        payload["team"] = {"id": team.pk, "name": team.name}
    if reason:
        payload["reason"] = reason
    return _append(
        conversation,
        kind=Message.Kind.EVENT,
        body=_event_text(payload),
        payload=payload,
        now=now,
    )


def conversation_system_text_add(
    *,
    conversation: Conversation,
    body: str,
    now: datetime,
    sender_name: str = "",
    client_id: str | None = None,
) -> Message:
    """A system text both sides see (e.g. the words of an accepted invitation).
    Idempotent by `client_id` when one is given."""
    if client_id:
        stored = Message.objects.filter(
            conversation_id=conversation.pk,
            sender_kind=Message.Sender.SYSTEM,
            sender_id=0,
            client_id=client_id,
        ).first()
        if stored is not None:
            return stored
    return _append(
        conversation,
        kind=Message.Kind.TEXT,
        body=body,
        payload=None,
        now=now,
        sender_name=sender_name,
        client_id=client_id,
    )
