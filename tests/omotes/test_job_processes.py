"""Job processes started ahead of their jobs: prepared when the job comes, and still stopped,
replaced and cleaned up like a fresh child."""

from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid

import pytest

from omotes.influx import InfluxClient, InfluxSettings
from omotes.protocol import job_database
from omotes.worker.child import JobProcess, SpareProcesses, run_in_child

PREPARED = "tests.omotes.prepared_plugin:workflow"
SLEEPER = "omotes.workflows.examples:sleeper"


@pytest.fixture
def job_id():
    job_id = uuid.uuid4()
    yield job_id
    InfluxClient(InfluxSettings()).drop_database(job_database(job_id))


@pytest.fixture
def spares():
    spares = SpareProcesses((PREPARED, SLEEPER), InfluxSettings())
    yield spares
    spares.close()


def _wait_until_dead(process: JobProcess, timeout_s: float = 15) -> None:
    process.process.join(timeout_s)
    assert not process.is_alive()


def test_a_job_handed_to_a_spare_finds_its_workflow_prepared_beforehand(spares, job_id):
    spares.fill(1)
    spare = spares.take()
    assert spare.conn.poll(60)  # its first word, "ready", is there (not read, so still there)
    handed_at = time.time()

    outcome = run_in_child(
        PREPARED, job_id, "", {}, InfluxSettings(), 30, lambda *a: None, process=spare
    )

    report = json.loads(outcome.result.output_esdl)
    assert report["pid"] == spare.process.pid
    assert report["prepared_at"] < handed_at
    assert "timing: child_start took" in outcome.logs
    assert not spare.is_alive()  # one job per process: its memory goes with it


def test_a_job_handed_to_a_spare_still_preparing_waits_for_it(spares, job_id):
    spares.fill(1)

    outcome = run_in_child(
        PREPARED, job_id, "", {}, InfluxSettings(), 30, lambda *a: None, process=spares.take()
    )

    assert json.loads(outcome.result.output_esdl)["prepared_at"] is not None


def test_fill_keeps_one_spare_per_free_slot(spares):
    spares.fill(2)
    first, second = spares.take(), spares.take()

    assert first.process.pid != second.process.pid
    assert spares.take() is None
    first.stop()
    second.stop()


def test_a_spare_that_died_while_waiting_is_replaced_not_handed_a_job(spares):
    spares.fill(1)
    (dead,) = spares.waiting
    os.kill(dead.process.pid, signal.SIGKILL)
    _wait_until_dead(dead)

    spares.fill(1)
    replacement = spares.take()

    assert replacement is not None and replacement.is_alive()
    assert replacement.process.pid != dead.process.pid
    replacement.stop()


def test_cancelling_a_job_in_a_spare_kills_its_process(spares, job_id):
    spares.fill(1)
    spare = spares.take()
    asked = time.monotonic()

    outcome = run_in_child(
        SLEEPER,
        job_id,
        "",
        {"duration_s": 60},
        InfluxSettings(),
        120,
        lambda *a: None,
        should_stop=lambda: time.monotonic() - asked > 3,
        process=spare,
    )

    assert outcome.error == "Job was cancelled."
    assert not spare.is_alive()


def test_the_time_limit_counts_from_the_handover_and_kills_the_spare(spares, job_id):
    spares.fill(1)
    spare = spares.take()

    outcome = run_in_child(
        SLEEPER, job_id, "", {"duration_s": 60}, InfluxSettings(), 4, lambda *a: None, process=spare
    )

    # With what it was doing once it said (the sleeper says "sleeping" when it starts).
    expected = r'Time limit of 4 s exceeded( during "sleeping")?; job stopped\.'
    assert re.fullmatch(expected, outcome.error), outcome.error
    assert not spare.is_alive()


def test_a_spare_ends_when_its_worker_is_gone():
    spare = JobProcess((SLEEPER,), InfluxSettings())

    spare.conn.close()  # what the worker's death does to the pipe

    _wait_until_dead(spare)


def test_closing_stops_the_spares_and_starts_no_more(spares):
    spares.fill(2)
    waiting = spares.waiting

    spares.close()
    spares.fill(2)

    assert all(not spare.is_alive() for spare in waiting)
    assert spares.take() is None
