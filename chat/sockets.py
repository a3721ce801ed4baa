"""How the apps built on chat take part in its two WebSockets, without chat knowing
them.

The visitor socket (`chat/consumers/visitor.py`) is chat's: resume, conversations,
messages, resync. leads adds availability and in-chat lead forms; targeting adds
behaviour tracking and offers. Each such app subclasses `VisitorPart` and registers
it in its `AppConfig.ready()`; every visitor socket makes one instance of each part,
in registration order, and calls it at these moments:

1. `load(visitor)`, on the ORM thread inside the resume's first trip to it: read what
   the part needs about this visitor (one trip for all parts, not one each);
2. `resumed()`, on the event loop, once the visitor is known: subscribe to groups
   (`self.socket.join(...)`), attach in-memory state. It runs before the socket reads
   the conversation state, so nothing published in between is missed;
3. `hello()` and `pong()`, on the ORM thread: fields merged into those frames;
4. client frames named in `frames` (`{"track": "frame_track"}`): coroutine methods
   taking the frame's dict; they raise `FrameError`/`ServiceError` as the socket's
   own handlers do, and are only reached after `hello`;
5. `closed()`, on the event loop, when a resumed socket ends.

The counselor socket's `send` frame carries a `kind`; `register_agent_send_kind`
lets an app handle a kind of its own (leads: `lead_form`). The handler returns the
stored message's `SendResult`, which the socket acknowledges like any other send.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar


class VisitorPart:
    frames: ClassVar[dict[str, str]] = {}

    def __init__(self, socket) -> None:
        self.socket = socket

    def load(self, visitor) -> None:
        """ORM thread, during resume."""

    async def resumed(self) -> None:
        """Event loop, the visitor known, before the conversation state is read."""

    def hello(self) -> dict[str, Any]:
        return {}

    def pong(self) -> dict[str, Any]:
        return {}

    async def closed(self) -> None:
        """Event loop, after a resumed socket closed."""


visitor_parts: list[type[VisitorPart]] = []

AgentSendHandler = Callable[..., Awaitable[Any]]
agent_send_kinds: dict[str, AgentSendHandler] = {}


def register_visitor_part(part: type[VisitorPart]) -> type[VisitorPart]:
    if part not in visitor_parts:
        clash = set(part.frames) & {f for p in visitor_parts for f in p.frames}
        if clash:
            raise ValueError(f"visitor frames registered twice: {sorted(clash)}")
        visitor_parts.append(part)
    return part


def register_agent_send_kind(kind: str, handler: AgentSendHandler) -> None:
    """`handler(counselor=..., data=...)` -> the stored message's SendResult."""
    agent_send_kinds[kind] = handler
