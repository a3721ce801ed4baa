"""The visitor route's admission gate (chat/admission.py) as ASGI middleware.

It runs before the consumer exists: a refused socket costs a handshake and three
frames, no consumer, no channel-layer channel (a Redis subscription) and no database.
An admitted socket carries its ticket in `scope["admission_ticket"]`; the consumer
releases it at `hello`, and this middleware when the socket ends, whichever is first.
"""

from __future__ import annotations

import logging
import time

from django.conf import settings

from chat.admission import Admission
from core.jsonutil import dumps

log = logging.getLogger(__name__)

# Overload: the visitor is told when to come back.
CLOSE_BUSY = 4503

_admission: Admission | None = None
_logged = {"at": 0.0, "refused": 0}


def admission() -> Admission:
    """This process's gate (rebuilt when its settings change, as in tests)."""
    global _admission
    chat = settings.CHAT
    wanted = (
        chat["VISITOR_RESUME_LIMIT"],
        chat["VISITOR_RESUME_BUDGET_SECONDS"],
        chat["RETRY_HINT_MAX_SECONDS"],
    )
    gate = _admission
    if gate is None or (gate.limit, gate.budget, gate.max_hint) != wanted:
        limit, budget, max_hint = wanted
        gate = _admission = Admission(
            limit=limit, budget_seconds=budget, max_hint_seconds=max_hint
        )
    return gate


def retry_frame(retry_after: float) -> str:
    return dumps(
        {"type": "retry", "reason": "busy", "retry_after": round(retry_after, 2)}
    )


def log_overload(gate: Admission) -> None:
    """One line every 5 s at most while refusing, for operators."""
    now = time.monotonic()
    if now - _logged["at"] < 5:
        return
    refused = gate.stats.refused - _logged["refused"]
    _logged.update(at=now, refused=gate.stats.refused)
    state = " ".join(f"{k}={v}" for k, v in gate.snapshot().items())
    log.warning(
        "overloaded: %d visitor resumes refused since last said; %s", refused, state
    )


class AdmissionGate:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        gate = admission()
        ticket = gate.try_enter()
        if ticket is None:
            await self.refuse(gate, receive, send)
            return
        try:
            await self.app({**scope, "admission_ticket": ticket}, receive, send)
        finally:
            ticket.release(completed=False)  # a no-op once released at `hello`

    @staticmethod
    async def refuse(gate: Admission, receive, send) -> None:
        hint = gate.retry_hint()
        message = await receive()
        if message["type"] != "websocket.connect":
            return
        # Accepted so that the browser can read the close code and the hint: a
        # refused upgrade (HTTP 403/503) reaches a page only as close 1006.
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": retry_frame(hint)})
        await send({"type": "websocket.close", "code": CLOSE_BUSY})
        log_overload(gate)
