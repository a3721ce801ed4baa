"""Group commit for socket sends.

Every socket in a process hands its sends to one writer per event loop. While a batch
is being written, new sends wait and go together in the next batch: one transaction
for many messages under load, no added delay when idle. The database work runs on one
dedicated thread (its own persistent connection), so it never queues behind other ORM
work; acks are sent only after the batch commits.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor

from django.db import InterfaceError, OperationalError, connections

from chat.services.messages import SendItem, SendResult, messages_append

log = logging.getLogger(__name__)

MAX_BATCH = 500


# The answer to a send the database refused although it passed validation (a gap
# in validation, not a passing fault): resending it would fail the same way.
UNSTORABLE = ("bad_field", "This message could not be stored.")


def _append(items: list[SendItem]) -> list[SendResult]:
    """The writer thread keeps its connection for the life of the process (no
    health-check query per batch); a broken connection is replaced and the batch
    retried once, which is safe: the transaction either committed or did not, and a
    committed send is found again by its client id."""
    try:
        return messages_append(items=items)
    except (OperationalError, InterfaceError):
        log.warning("writer connection failed; reconnecting", exc_info=True)
        connections["default"].close()
        return messages_append(items=items)


def _write(items: list[SendItem]) -> list[SendResult | Exception]:
    """One batch, one result per item; an Exception is answered `unavailable`.

    A batch the database refuses for one item's sake is split in halves and each
    half written on its own (the refused transaction stored nothing), down to the
    item at fault: it alone is answered UNSTORABLE, everyone else is stored."""
    try:
        return list(_append(items))
    except (OperationalError, InterfaceError) as exc:
        # The database is away: nothing of these items was stored; resend later.
        log.exception("message batch of %d failed", len(items))
        connections["default"].close()
        return [exc] * len(items)
    except Exception:
        if len(items) == 1:
            log.exception("the database refused a message")
            return [SendResult(error=UNSTORABLE)]
        log.warning("message batch of %d failed; isolating", len(items), exc_info=True)
        half = len(items) // 2
        return _write(items[:half]) + _write(items[half:])


class MessageWriter:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending: list[tuple[SendItem, asyncio.Future]] = []
        self.running = False
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="chat-writer")

    async def submit(self, item: SendItem) -> SendResult:
        future = self.loop.create_future()
        self.pending.append((item, future))
        if not self.running:
            self.running = True
            self.loop.create_task(self._run())
        return await future

    async def _run(self) -> None:
        try:
            while self.pending:
                batch = self.pending[:MAX_BATCH]
                del self.pending[:MAX_BATCH]
                items = [item for item, _ in batch]
                try:
                    results = await self.loop.run_in_executor(
                        self.executor, _write, items
                    )
                except Exception as exc:
                    log.exception("message batch of %d failed", len(items))
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if future.done():
                        continue
                    if isinstance(result, Exception):
                        future.set_exception(result)
                    else:
                        future.set_result(result)
        finally:
            self.running = False

    def close(self) -> None:
        """Close the writer thread's connection (tests drop the database after)."""
        self.executor.submit(connections.close_all).result()
        self.executor.shutdown(wait=True)


_writers: dict[asyncio.AbstractEventLoop, MessageWriter] = {}


def get_writer() -> MessageWriter:
    loop = asyncio.get_running_loop()
    writer = _writers.get(loop)
    if writer is None:
        writer = _writers[loop] = MessageWriter(loop)
    return writer


def close_writers() -> None:
    for loop, writer in list(_writers.items()):
        writer.close()
        del _writers[loop]
