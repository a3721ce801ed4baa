"""An e-mail backend for tests that run a real Celery worker: every message sent is
appended as a JSON line to $EMAIL_FILE_PATH/sent.jsonl (readable from the test
process), and the first $FLAKY_MAIL_FAILURES sends fail like a dropped SMTP
connection, so the task's retry path runs for real."""

from __future__ import annotations

import fcntl
import json
import os
import smtplib
import time
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend


def _outbox() -> Path:
    path = Path(settings.EMAIL_FILE_PATH)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _take_failure() -> bool:
    """True while failures remain; the count is shared by every process."""
    budget = int(os.environ.get("FLAKY_MAIL_FAILURES", "0"))
    counter = _outbox() / "failures"
    with open(counter, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        used = len(handle.read())
        if used >= budget:
            return False
        handle.write("x")
        return True


class FlakyFileBackend(BaseEmailBackend):
    def send_messages(self, email_messages) -> int:
        if _take_failure():
            raise smtplib.SMTPServerDisconnected("test: connection dropped")
        with open(_outbox() / "sent.jsonl", "a") as handle:
            for message in email_messages:
                line = {
                    "at": time.time(),
                    "subject": message.subject,
                    "to": list(message.to),
                    "body": message.body,
                }
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
        return len(email_messages)


def sent(outbox: Path) -> list[dict]:
    path = outbox / "sent.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]
