"""How long an ESDL upload takes, phase by phase, and how often the ESDL is parsed on the way.

Uploads one ESDL file ``--repeat`` times through the upload service (``upload_esdl_model``: the
same call the upload page and API make), binds its input profiles as the profile binder does after
the upload has answered (``bind_next_model``), and prepares each stored model for a job
(``esdl_for_job``: pipe sizes from the catalogue, input profiles pointed at our InfluxDB), into a
project of a new user in the database that ``DT_DB_NAME`` names (migrated beforehand), with the
input profiles in the InfluxDB database ``--profiles-database`` (``bench_upload_profiles``). The
user, its models and that profiles database are removed at the end.

Usage::

    python -m omotes.esdl_generator --assets 1000 -o /tmp/network-1000.esdl
    DT_DB_NAME=... .venv/bin/python bench/upload.py /tmp/network-1000.esdl [--repeat 3]
                                                    [--profiles-database NAME]

Output: one JSON line on stdout, also appended to ``bench/results/upload.jsonl``::

    {"file": "network-1000.esdl", "bytes": 921542, "repeat": 3, "upload_s": 0.9,
     "bind_s": 20.1, "job_esdl_s": 1.2, "upload_parses": 1, "job_esdl_parses": 1,
     "upload_phases_s": {"check": 0.2, "parse": 1.1, ...}, "job_esdl_phases_s": {...}, ...}

``upload_s``, ``bind_s`` and ``job_esdl_s`` are medians over the runs of the whole call;
``*_parses`` count the calls of pyesdl's loader (``EnergySystemHandler.load_from_string``) in one
call;
``*_phases_s`` give the median time spent in each phase, excluding the phases it calls (so
``check`` is the intake's checks around pyesdl's parse, counted under ``parse``), and ``other``
the rest of the call (the database, mostly).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import Any

if __package__:  # imported as ``bench.upload``
    from . import harness
else:  # run as ``python bench/upload.py``: import the module next to this script
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import harness


class PhaseClock:
    """Wall time and calls per phase; a timed call inside another counts only for the inner one."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._nested: list[float] = []

    def timed(self, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(function)
        def timed_call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            self._nested.append(0.0)
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                self.seconds[phase] += elapsed - self._nested.pop()
                self.calls[phase] += 1
                if self._nested:
                    self._nested[-1] += elapsed

        return timed_call

    def measure(self, function: Callable[[], Any]) -> tuple[Any, float, dict[str, float], int]:
        """``function()``: its value, seconds, seconds per phase (``other``: untimed), parses."""
        self.seconds.clear()
        self.calls.clear()
        start = time.perf_counter()
        value = function()
        total = time.perf_counter() - start
        phases = dict(self.seconds)
        phases["other"] = total - sum(phases.values())
        return value, total, phases, self.calls["parse"]


def phase_functions() -> list[tuple[str, Any, str]]:
    """(phase, owner, attribute): the functions timed, patched where the services call them."""
    from esdl.esdl_handler import EnergySystemHandler

    from apps.models import esdl_document, services
    from apps.models.esdl_document import EsdlDocument

    return [
        ("check", esdl_document, "decode_upload"),
        ("check", esdl_document, "load"),  # the intake's checks around the parse
        ("parse", EnergySystemHandler, "load_from_string"),
        ("rules", services, "check_rules"),
        ("summary", EsdlDocument, "summary"),
        ("pipe_resolution", EsdlDocument, "unresolved_pipe_sizes"),
        ("pipe_resolution", EsdlDocument, "resolve_pipe_sizes"),
        ("profile_rewrite", services, "rewrite_for_job"),
        ("serialise", EsdlDocument, "to_text"),
    ]


@contextmanager
def clocked(clock: PhaseClock) -> Iterator[None]:
    originals = [(owner, name, getattr(owner, name)) for _, owner, name in phase_functions()]
    for (phase, _, _), (owner, name, function) in zip(phase_functions(), originals, strict=True):
        setattr(owner, name, clock.timed(phase, function))
    try:
        yield
    finally:
        for owner, name, function in originals:
            setattr(owner, name, function)


def _medians(runs: list[dict[str, float]]) -> dict[str, float]:
    return {
        phase: round(statistics.median(run.get(phase, 0.0) for run in runs), 3)
        for phase in sorted({phase for run in runs for phase in run})
    }


def run(path: Path, repeat: int) -> dict[str, Any]:
    from django.conf import settings

    from apps.accounts.services import create_user
    from apps.models.models import Project
    from apps.models.services import esdl_for_job, upload_esdl_model
    from apps.profiles.binding import bind_next_model
    from apps.profiles.models import InputProfile
    from apps.results.influx import influx_client
    from omotes.influx import InfluxError

    data = path.read_bytes()
    user = create_user(f"bench-upload-{secrets.token_hex(4)}@example.org", secrets.token_hex(16))
    project = Project.objects.create(owner=user, name="Upload benchmark")
    clock = PhaseClock()
    uploads: list[tuple[float, dict[str, float], int]] = []
    jobs: list[tuple[float, dict[str, float], int]] = []
    binds: list[float] = []
    try:
        with clocked(clock):
            for number in range(1, repeat + 1):
                esdl_model, *upload = clock.measure(
                    lambda n=number: upload_esdl_model(project, f"{path.stem} {n}", data)
                )
                uploads.append(tuple(upload))
                started = time.perf_counter()
                while bind_next_model():  # what the profile binder does after the upload
                    pass
                binds.append(time.perf_counter() - started)
                esdl_model.refresh_from_db()
                _, *job = clock.measure(lambda m=esdl_model: esdl_for_job(m))
                jobs.append(tuple(job))
                harness.log(
                    f"run {number}: upload {upload[0]:.2f} s ({upload[2]} parses), "
                    f"profiles bound in {binds[-1]:.2f} s, job ESDL {job[0]:.2f} s "
                    f"({job[2]} parses)"
                )
    finally:
        wrote_profiles = InputProfile.objects.filter(owner=user).exists()
        project.esdl_models.all().delete()
        user.delete()
        if wrote_profiles:
            try:
                influx_client().drop_database(settings.INFLUX_PROFILES_DATABASE)
            except InfluxError as exc:  # the figures stand; say what is left behind
                harness.log(f"could not drop {settings.INFLUX_PROFILES_DATABASE}: {exc}")
    return {
        "file": path.name,
        "bytes": len(data),
        "repeat": repeat,
        "upload_s": round(statistics.median(s for s, _, _ in uploads), 3),
        "bind_s": round(statistics.median(binds), 3),
        "job_esdl_s": round(statistics.median(s for s, _, _ in jobs), 3),
        "upload_parses": max(p for _, _, p in uploads),
        "job_esdl_parses": max(p for _, _, p in jobs),
        "upload_phases_s": _medians([phases for _, phases, _ in uploads]),
        "job_esdl_phases_s": _medians([phases for _, phases, _ in jobs]),
        "runs_upload_s": [round(s, 3) for s, _, _ in uploads],
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "at": datetime.now().isoformat(timespec="seconds"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("esdl", type=Path, help="the ESDL file to upload")
    parser.add_argument("--repeat", type=int, default=3, help="uploads to take the median of (3)")
    parser.add_argument(
        "--profiles-database", default="bench_upload_profiles", help="InfluxDB database (profiles)"
    )
    args = parser.parse_args()
    if str(harness.ROOT) not in sys.path:
        sys.path.insert(0, str(harness.ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "designtoolkit.settings")
    os.environ["DT_INFLUX_PROFILES_DB"] = args.profiles_database
    os.environ.setdefault("DT_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    harness.write_result("upload", run(args.esdl, args.repeat))
    return 0


if __name__ == "__main__":
    sys.exit(main())
