"""What a newcomer running the demo notices: the favicon, log lines printed once, no
"No hostname was supplied" warnings from Celery's in-memory broker."""

from __future__ import annotations

import logging
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.django_db
def test_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    body = response.content
    assert struct.unpack("<HHH", body[:6]) == (0, 1, 1)  # an ICO with one image
    offset = struct.unpack("<I", body[18:22])[0]
    assert body[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"


def test_a_django_log_line_is_printed_once(capsys, settings):
    """Django's own `django` logger has a console handler (when DEBUG); with ours on
    the root as well, every django.* line came out twice."""
    from django.utils.log import configure_logging

    settings.DEBUG = True  # the demo (config.settings.local)
    saved = {
        name: (logger.handlers[:], logger.propagate)
        for name, logger in [
            ("", logging.root),
            ("django", logging.getLogger("django")),
        ]
    }
    try:
        configure_logging("logging.config.dictConfig", settings.LOGGING)
        capsys.readouterr()
        logging.getLogger("django.request").warning("Not Found: /nothing")
        assert capsys.readouterr().err.count("Not Found: /nothing") == 1
    finally:
        for name, (handlers, propagate) in saved.items():
            logger = logging.getLogger(name) if name else logging.root
            logger.handlers[:] = handlers
            logger.propagate = propagate


def test_the_demos_in_memory_broker_names_a_host(tmp_path):
    """The demo (no REDIS_URL) runs Celery on kombu's in-memory transport; a broker
    URL without a host made kombu warn "No hostname was supplied" on every task."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.local",
        DATABASE_URL=f"sqlite:///{tmp_path}/demo.sqlite3",
    )
    script = (
        "import django, logging; django.setup(); logging.basicConfig();"
        "from config.celery import app;"
        "assert app.conf.broker_url.startswith('memory://'), app.conf.broker_url;"
        "app.connection_for_write().info()"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "No hostname was supplied" not in done.stderr


def test_scripts_run_says_what_it_does_while_installing(tmp_path):
    """`bash scripts/run` printed nothing for the two minutes of the first install.
    Run on a copy with a stand-in .venv: each step is announced, and pip's progress
    (what it collects and installs) is shown, not silenced with -q."""
    (tmp_path / "scripts").mkdir()
    script = (REPO / "scripts" / "run").read_text()
    (tmp_path / "scripts" / "run").write_text(script)
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    stubs = {
        "python": 'echo "python $*"',
        "pip": 'echo "$*" > "$(dirname "$0")/pip-args"; echo "Collecting django"; '
        'echo "  Downloading django.whl"; echo "Successfully installed django"',
        "daphne": 'echo "daphne $*"',
    }
    for name, body in stubs.items():
        path = bin_dir / name
        path.write_text(f"#!/bin/sh\n{body}\n")
        path.chmod(0o755)
    done = subprocess.run(
        ["bash", str(tmp_path / "scripts" / "run")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("==> Installing the project")
    assert "Collecting django" in lines and "Successfully installed django" in lines
    assert "  Downloading django.whl" not in lines  # progress, not pip's every line
    assert "-q" not in (bin_dir / "pip-args").read_text().split()
    assert any(
        line.startswith("==> Serving on http://127.0.0.1:8000/") for line in lines
    )
