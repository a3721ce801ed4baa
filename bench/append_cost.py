"""CPU cost of the message write path (chat.services.messages.messages_append), by
statement, for batches of 1, 10 and 50 messages, next to cheaper alternatives.

bench/relay.py shows that our server spends most of its CPU per message in the
writer thread; this says on which statements. Everything runs inside a transaction
that is rolled back. Needs the benchmark database filled by bench/setup_ours.py
(bench/relay.py does that), e.g.:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/livechat_bench \\
        taskset -c 1 .venv/bin/python bench/append_cost.py
"""

from __future__ import annotations

import os
import sys
import time
from itertools import count
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

from django.db import close_old_connections, connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from chat.models import Conversation, Message  # noqa: E402
from chat.services.messages import SendItem, messages_append  # noqa: E402
from core import realtime  # noqa: E402

# No event loop here: measure the write, not a synchronous Redis fallback.
realtime.send_now = lambda items: None
ids = count(1)
REPEAT = 30
FIELDS = ["last_seq", "last_public_seq", "last_message_at", "status"]


def cost(fn, repeat: int = REPEAT) -> float:
    """CPU seconds per call (process time, so waiting on PostgreSQL is excluded)."""
    fn()  # warm caches
    started = time.process_time()
    for _ in range(repeat):
        fn()
    return (time.process_time() - started) / repeat


def raw_update(conversations: list[Conversation]) -> None:
    """One UPDATE ... FROM (VALUES ...) for the whole batch."""
    rows = ", ".join(["(%s, %s, %s, %s::timestamptz, %s)"] * len(conversations))
    params = []
    for c in conversations:
        params += [c.pk, c.last_seq, c.last_public_seq, c.last_message_at, c.status]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE chat_conversation AS c SET last_seq = v.last_seq, "
            "last_public_seq = v.last_public_seq, "
            "last_message_at = v.last_message_at, status = v.status "
            f"FROM (VALUES {rows}) AS v(id, last_seq, last_public_seq, "
            "last_message_at, status) WHERE c.id = v.id",
            params,
        )


def measure(n: int) -> dict[str, float]:
    conversations = list(Conversation.objects.order_by("pk")[:n])
    pks = [c.pk for c in conversations]
    now = timezone.now()
    for c in conversations:
        c.last_message_at = now

    def append() -> None:
        items = [
            SendItem(
                conversation_id=c.pk,
                sender_kind=Message.Sender.VISITOR,
                sender_id=c.visitor_id,
                client_id=f"cost-{next(ids)}",
                body="x" * 100,
            )
            for c in conversations
        ]
        messages_append(items=items)

    def create() -> None:
        Message.objects.bulk_create(
            Message(
                conversation_id=c.pk,
                seq=1_000_000 + next(ids),
                sender_kind=Message.Sender.VISITOR,
                sender_id=c.visitor_id,
                client_id=f"cost-{next(ids)}",
                body="x" * 100,
                created_at=now,
            )
            for c in conversations
        )

    steps = {
        "messages_append (whole)": append,
        "  SELECT FOR UPDATE + select_related(3)": lambda: list(
            Conversation.objects.select_for_update(of=("self",))
            .select_related("assignee", "site", "visitor")
            .filter(pk__in=pks)
            .order_by("pk")
        ),
        "  client id lookup": lambda: list(
            Message.objects.filter(
                conversation_id__in=pks, client_id__in=[f"c{i}" for i in range(n)]
            )
        ),
        "  bulk_create messages": create,
        "  bulk_update conversations": lambda: Conversation.objects.bulk_update(
            conversations, FIELDS
        ),
        "alt: SELECT FOR UPDATE, no select_related": lambda: list(
            Conversation.objects.select_for_update().filter(pk__in=pks).order_by("pk")
        ),
        "alt: one UPDATE ... FROM (VALUES ...)": lambda: raw_update(conversations),
    }
    result = {}
    with transaction.atomic():
        for name, fn in steps.items():
            result[name] = cost(fn) / n
        transaction.set_rollback(True)

    def health_check() -> None:
        # What chat.writer._write does before every batch: with
        # CONN_HEALTH_CHECKS on, the next query is preceded by a SELECT 1.
        close_old_connections()
        connection.cursor().close()

    result["  per batch: close_old_connections + SELECT 1"] = cost(health_check) / n
    return result


def main() -> None:
    sizes = (1, 10, 50)
    table = {n: measure(n) for n in sizes}
    print("CPU per message, us (batch of n messages, one conversation each)")
    print(f"{'':44}" + "".join(f"{'n=' + str(n):>9}" for n in sizes))
    for name in table[sizes[0]]:
        cells = "".join(f"{table[n][name] * 1e6:9.0f}" for n in sizes)
        print(f"{name:44}{cells}")


if __name__ == "__main__":
    main()
