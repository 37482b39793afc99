"""The stack of these tests' session serves the metrics of its dispatcher and events consumer
(set before the session's ``stack`` fixture copies the environment)."""

from __future__ import annotations

import os

from tests.conftest import free_port

os.environ.setdefault("DT_DISPATCHER_METRICS_PORT", str(free_port()))
os.environ.setdefault("DT_EVENTS_METRICS_PORT", str(free_port()))
