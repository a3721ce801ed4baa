"""The rule engine is pure: importing every module of ``targeting.engine`` loads no
Django (nor anything else of the project outside the package)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]

# Run in a fresh interpreter: this test process has Django loaded already.
CODE = """
import json, pkgutil, sys
assert not any(m == "django" or m.startswith("django.") for m in sys.modules)
import targeting.engine
names = [
    info.name
    for info in pkgutil.walk_packages(targeting.engine.__path__, "targeting.engine.")
]
for name in names:
    __import__(name)
print(json.dumps({"engine": names, "loaded": sorted(sys.modules)}))
"""

OUTSIDE = ("django", "rest_framework", "channels", "chat", "core", "leads", "config")


def test_the_engine_imports_no_django():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    out = subprocess.run(
        [sys.executable, "-c", CODE],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=ROOT,
    )
    found = json.loads(out.stdout)
    assert "targeting.engine.evaluator" in found["engine"]
    assert "targeting.engine.snapshot" in found["engine"]
    loaded = found["loaded"]
    assert [m for m in loaded if m.split(".")[0] in OUTSIDE] == []
    # Of the targeting app, only the engine package (and the app's empty package).
    assert [
        m
        for m in loaded
        if m.split(".")[0] == "targeting"
        and m != "targeting"
        and not m.startswith("targeting.engine")
    ] == []
