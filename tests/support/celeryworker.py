"""A real Celery worker (with beat) for tests, on the test database and Redis.

The worker consumes this pytest run's own queue (settings.CELERY_TASK_DEFAULT_QUEUE)
so concurrent runs on one machine do not take each other's tasks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.db import connection

from tests.support.servers import REPO, _stop, _tail, database_url
from tests.support.waiting import wait_until


class CeleryWorker:
    def __init__(self, workdir: Path, *, beat: bool = False, env: dict | None = None):
        self.workdir = workdir
        self.outbox = workdir / "mail"
        self.log_path = workdir / "celery.log"
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        full_env = dict(os.environ)
        full_env.update(
            DJANGO_SETTINGS_MODULE="config.settings.local",
            DATABASE_URL=database_url(connection.settings_dict),
            DB_CONN_MAX_AGE="0",
            REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            CHANNEL_PREFIX=settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
            CELERY_QUEUE=queue,
            CELERY_RESULT_BACKEND=settings.CELERY_RESULT_BACKEND,
            EMAIL_BACKEND="tests.support.flaky_mail.FlakyFileBackend",
            EMAIL_FILE_PATH=str(self.outbox),
            **(env or {}),
        )
        command = [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "-P", "solo", "-Q", queue, "--loglevel", "INFO",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        if beat:
            command += ["-B", "-s", str(workdir / "beat-schedule")]
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                command,
                cwd=REPO,
                env=full_env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, timeout: float = 30.0) -> None:
        def ready() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError("celery worker exited:\n" + self.log_tail())
            return "ready." in self.log_path.read_text(errors="replace")

        try:
            wait_until(ready, timeout, "the celery worker to be ready", interval=0.1)
        except AssertionError as exc:
            raise RuntimeError(f"{exc}:\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 60) -> str:
        return _tail(self.log_path, lines)

    def stop(self) -> None:
        # SIGQUIT: Celery's cold shutdown (connections closed, no wait for the
        # warm shutdown's timers, which took ~5 s per test); nothing runs by then.
        _stop(self.proc, grace=10, sig=signal.SIGQUIT)
