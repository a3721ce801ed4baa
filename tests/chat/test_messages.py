"""Message writes: gap-free seq, idempotency, permissions, waiting -> active."""

import threading

import pytest
from django.db import connection

from chat.models import Conversation, Message
from chat.services.conversations import (
    conversation_close,
    conversation_start,
    conversation_visitor_away,
)
from chat.services.messages import SendItem, messages_append
from tests.factories import VisitorFactory

pytestmark = pytest.mark.django_db


def visitor_item(conversation, client_id, body="hi"):
    return SendItem(
        conversation_id=conversation.pk,
        sender_kind=Message.Sender.VISITOR,
        sender_id=conversation.visitor_id,
        client_id=client_id,
        body=body,
    )


def test_seq_is_gap_free_and_ordered_within_a_batch(visitor):
    conversation, _ = conversation_start(visitor=visitor)
    results = messages_append(
        items=[visitor_item(conversation, f"c{i}") for i in range(5)]
    )
    assert [r.message.seq for r in results] == [1, 2, 3, 4, 5]
    conversation.refresh_from_db()
    assert conversation.last_seq == 5


def test_repeated_client_id_returns_the_stored_message(visitor):
    conversation, _ = conversation_start(visitor=visitor)
    (first,) = messages_append(items=[visitor_item(conversation, "same")])
    (again,) = messages_append(items=[visitor_item(conversation, "same", "other")])
    assert again.duplicate
    assert again.message.pk == first.message.pk
    assert Message.objects.filter(conversation=conversation).count() == 1
    conversation.refresh_from_db()
    assert conversation.last_seq == 1


def test_repeated_client_id_in_one_batch_is_one_message(visitor):
    conversation, _ = conversation_start(visitor=visitor)
    results = messages_append(
        items=[visitor_item(conversation, "x"), visitor_item(conversation, "x")]
    )
    assert results[0].message.pk == results[1].message.pk
    assert Message.objects.count() == 1


def test_visitor_cannot_post_to_another_visitors_conversation(site):
    mine, _ = conversation_start(visitor=VisitorFactory(site=site))
    theirs, _ = conversation_start(visitor=VisitorFactory(site=site))
    item = visitor_item(mine, "c1")
    item.conversation_id = theirs.pk
    (result,) = messages_append(items=[item])
    assert result.error[0] == "not_found"
    assert Message.objects.count() == 0


def test_counselor_must_be_the_assignee(site, online_counselor):
    assignee = online_counselor()
    other = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    assert conversation.assignee_id == assignee.pk
    ok, refused = messages_append(
        items=[
            SendItem(conversation.pk, Message.Sender.AGENT, assignee.pk, "a1", "hello"),
            SendItem(conversation.pk, Message.Sender.AGENT, other.pk, "o1", "hijack"),
        ]
    )
    assert ok.message.seq == 2  # seq 1: the "assigned" event
    assert refused.error[0] == "not_assignee"


def test_closed_conversation_refuses_messages(visitor):
    conversation, _ = conversation_start(visitor=visitor)
    conversation_close(conversation_id=conversation.pk, visitor=visitor)
    (result,) = messages_append(items=[visitor_item(conversation, "late")])
    assert result.error[0] == "closed"


def test_notes_do_not_advance_the_visitors_seq(site, online_counselor):
    counselor = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    messages_append(
        items=[
            SendItem(conversation.pk, "agent", counselor.pk, "t1", "hi"),
            SendItem(conversation.pk, "agent", counselor.pk, "n1", "vip", kind="note"),
        ]
    )
    conversation.refresh_from_db()
    # seq 1: the "assigned" event, staff-only like the note
    assert (conversation.last_seq, conversation.last_public_seq) == (3, 2)


def test_visitor_writing_again_reactivates_a_waiting_conversation(
    site, online_counselor
):
    online_counselor()
    visitor = VisitorFactory(site=site)
    conversation, _ = conversation_start(visitor=visitor)
    conversation_visitor_away(conversation_id=conversation.pk, visitor=visitor)
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.WAITING
    messages_append(items=[visitor_item(conversation, "back")])
    conversation.refresh_from_db()
    assert conversation.status == Conversation.Status.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_seq_gap_free(site):
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    errors = []

    def write(prefix):
        try:
            for i in range(20):
                messages_append(items=[visitor_item(conversation, f"{prefix}{i}")])
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(p,)) for p in "abcd"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    seqs = list(
        Message.objects.filter(conversation=conversation)
        .order_by("seq")
        .values_list("seq", flat=True)
    )
    assert seqs == list(range(1, 81))


@pytest.mark.django_db(transaction=True)
def test_racing_starts_make_one_open_conversation(site):
    visitor = VisitorFactory(site=site)
    barrier = threading.Barrier(4)
    ids = []

    def start():
        barrier.wait()
        try:
            ids.append(conversation_start(visitor=visitor)[0].pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(ids)) == 1
    assert Conversation.objects.filter(visitor=visitor).count() == 1


def test_counselor_may_note_on_own_site(site, online_counselor):
    colleague = online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    assert conversation.assignee_id == colleague.pk
    helper = online_counselor()
    (result,) = messages_append(
        items=[
            SendItem(
                conversation.pk,
                "agent",
                helper.pk,
                "n1",
                "tip",
                kind="note",
                site_ids=frozenset({site.pk}),
            )
        ]
    )
    assert result.message.seq == 2  # after the "assigned" event


def test_counselor_of_another_site_may_not_note(site, online_counselor):
    online_counselor()
    conversation, _ = conversation_start(visitor=VisitorFactory(site=site))
    outsider = online_counselor()
    (result,) = messages_append(
        items=[
            SendItem(
                conversation.pk,
                "agent",
                outsider.pk,
                "n1",
                "peek",
                kind="note",
                site_ids=frozenset({site.pk + 1000}),
            )
        ]
    )
    assert result.error[0] == "not_found"
    assert not Message.objects.exclude(kind=Message.Kind.EVENT).exists()
