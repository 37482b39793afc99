"""The plug-in interface: load by name or reference, run in a child, limits, sequences."""

from __future__ import annotations

import re
import uuid

import pytest

from omotes.influx import InfluxClient, InfluxSettings
from omotes.protocol import job_database
from omotes.worker.child import run_in_child
from omotes.workflows import registry
from omotes.workflows.base import JobContext, describe
from omotes.workflows.sequence import Sequence

EXAMPLE = "omotes.workflows.examples:sleeper"


@pytest.fixture
def job_id():
    job_id = uuid.uuid4()
    yield job_id
    InfluxClient(InfluxSettings()).drop_database(job_database(job_id))


def test_plugin_is_found_by_reference_and_by_name():
    assert registry.load(EXAMPLE) is registry.load("sleeper")
    assert describe(registry.load(EXAMPLE)).to_dict()["parameters"][0]["key"] == "duration_s"


def test_unknown_plugin_is_refused_clearly():
    with pytest.raises(registry.UnknownWorkflow, match="no workflow plug-in named 'nope'"):
        registry.load("nope")


def test_plugin_runs_in_a_child_and_reports_progress_and_result(job_id):
    progress: list[float] = []

    outcome = run_in_child(
        EXAMPLE,
        job_id,
        "<esdl/>",
        {"duration_s": 0.5},
        InfluxSettings(),
        60,
        lambda fraction, message, step="": progress.append(fraction),
    )

    assert outcome.error is None
    assert outcome.result.output_esdl == "<esdl/>"
    assert outcome.result.series[0].points == 24
    assert progress == sorted(progress) and progress[-1] == 1.0


def test_plugin_error_reaches_the_caller_as_its_message(job_id):
    outcome = run_in_child(
        EXAMPLE, job_id, "", {"fail": True}, InfluxSettings(), 60, lambda *a: None
    )

    assert outcome.error == "Failed on purpose (fail=true)."
    assert "Failed on purpose" in outcome.logs


def test_child_past_its_time_limit_is_killed(job_id):
    outcome = run_in_child(
        EXAMPLE, job_id, "", {"duration_s": 60}, InfluxSettings(), 2, lambda *a: None
    )

    # (What it was doing is named once it reported progress: on a busy machine the child may
    # still be starting after 2 s.)
    assert re.fullmatch(
        r'Time limit of 2 s exceeded( during "sleeping")?; job stopped\.', outcome.error
    )


def test_time_limit_error_names_what_the_job_was_doing_and_the_workflows_advice(job_id):
    outcome = run_in_child(
        EXAMPLE,
        job_id,
        "",
        {"duration_s": 60},
        InfluxSettings(),
        10,
        lambda *a: None,
        time_limit_advice="Try a smaller model.",
    )

    assert outcome.error == (
        'Time limit of 10 s exceeded during "sleeping"; job stopped. Try a smaller model.'
    )


def test_sequence_feeds_each_step_the_previous_output_and_names_the_step(job_id):
    sequence = Sequence("twice", "Twice", "two sleepers", (EXAMPLE, EXAMPLE))
    steps: list[str] = []

    result = sequence.run(
        "<esdl/>",
        {"duration_s": 0.2},
        JobContext(job_id, InfluxSettings(), None, lambda f, m, step="": steps.append(step)),
    )

    assert {spec.key for spec in sequence.parameters} == {"duration_s", "fail"}
    assert result.output_esdl == "<esdl/>"
    assert len(result.series) == 2
    assert steps[0].startswith("1/2") and steps[-1].startswith("2/2")
