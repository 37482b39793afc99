"""A service process moves what it built at start-up out of the collector's way (omotes.heap):
the web application does once imported, before it serves a request."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_web_application_settles_its_heap_once_imported() -> None:
    probe = "import gc, designtoolkit.asgi; print(gc.get_freeze_count())"
    answer = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**os.environ, "DT_DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stderr[-2000:]

    frozen = int(answer.stdout.split()[-1])

    # Django, its apps and every view: far more than a bare interpreter's few thousand.
    assert frozen > 100_000
