"""What chat announces to the apps built on it, without knowing them.

chat is the ground floor: leads and targeting import chat, never the reverse. Where
chat's services must let a higher app react, they call a hook here and the app
connects its function in its `AppConfig.ready()`:

- `staffing_changed(site_ids=..., now=...)`: counselors came or went, or a queue
  moved (leads recomputes the sites' availability and pushes it to widgets);
- `personal_data_viewed(action=..., user=..., site_id=..., visitor_ids=...,
  conversation_ids=..., via=...)`: staff read visitors' personal data through chat
  (a transcript, conversation lists); leads keeps the access log. `action` is one
  of the strings below.

Listeners run in the caller's thread and transaction, in the order they connected,
and their exceptions propagate, exactly as a direct call would.
"""

from __future__ import annotations

from collections.abc import Callable

# Actions chat reports to `personal_data_viewed`.
VIEWED_TRANSCRIPT = "transcript"
VIEWED_CONVERSATIONS = "conversations"


class Hook:
    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: list[Callable[..., object]] = []

    def connect(self, listener: Callable[..., object]) -> Callable[..., object]:
        if listener not in self._listeners:
            self._listeners.append(listener)
        return listener

    def __call__(self, **details: object) -> None:
        for listener in list(self._listeners):
            listener(**details)

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {len(self._listeners)} listeners>"


staffing_changed = Hook("staffing_changed")
personal_data_viewed = Hook("personal_data_viewed")
