"""The runtime estimate and worker speed (issue 13, R18): a real worker's calibration run is
announced and is the prior before any history; runs of a fast and a slow worker share one
history; the queue outlook runs each slot at its worker's speed; the optimiser learns from its
own history; the estimate names the workflow's time limit."""

from __future__ import annotations

import signal
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.jobs import lifecycle
from apps.jobs.estimates import expected_speed, live_slots, outlook_text
from apps.jobs.models import Job, JobRecord, Worker
from apps.jobs.services import submit_job
from apps.models.models import EsdlModel
from omotes.estimation import Estimate, prior_model, speed_factor
from omotes.protocol import EventKind, ParameterSpec, ParameterType, WorkflowDescription
from omotes.workflows.base import describe
from omotes.workflows.sequence import simulate_and_kpis
from omotes.workflows.simulator import workflow as simulator
from tests.conftest import bind_profiles, wait_for
from tests.corpus import generated_network
from tests.jobs.worker_events import deliver
from tests.models.test_upload_api import upload

WEEK = {"start": "2019-01-01T00:00", "end": "2019-01-07T23:00"}
WEEK_STEPS = 168
FAST, SLOW = 1e-3, 3e-3  # calibration runs: seconds per asset and time step


def uploaded_network(api, project) -> EsdlModel:
    """A generated network of 10 assets with hourly input profiles through 2019, bound."""
    response = upload(api, project, "network", generated_network())
    bind_profiles(response.json()["id"])
    return EsdlModel.objects.get(pk=response.json()["id"])


@pytest.fixture
def network(api, project, db) -> EsdlModel:
    return uploaded_network(api, project)


def announce(
    worker: str,
    *descriptions: WorkflowDescription,
    calibration: float = 0.0,
    contention: float = 0.0,
    kind: EventKind = EventKind.ANNOUNCE,
) -> None:
    """A worker announces itself with its calibration run's figure and the contention it
    measures now (0: none)."""
    deliver(
        kind,
        worker,
        host="h",
        slots=1,
        workflows=[d.to_dict() for d in descriptions],
        calibration_s_per_asset_step=calibration,
        contention=contention,
    )


def estimate(api, model: EsdlModel, workflow: str = "simulator", **params) -> dict:
    response = api.post(
        "/api/jobs/estimate/",
        {"model": model.pk, "workflow": workflow, "params": params},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def finished(job: Job, worker: str, seconds: float) -> None:
    """Mark a submitted job as run by ``worker`` for ``seconds``."""
    job.status, job.worker_id, job.started_at = Job.Status.SUCCEEDED, worker, job.created_at
    job.finished_at = job.created_at + timedelta(seconds=seconds)
    job.save()


def reference_s(steps: int, assets: int = 10) -> float:
    """The synthetic truth on the reference machine: 16 s, 0.4 ms per asset and time step."""
    return 16 + 0.0004 * assets * steps


def test_a_real_workers_calibration_run_is_announced_and_is_the_prior(
    stack, transactional_db, api, project
):
    worker_id = f"calibrated-{uuid.uuid4().hex[:6]}"
    stack.start(
        "calibrated-worker",
        *("-m", "omotes.worker", "--workflows", "simulator", "--worker-id", worker_id),
        env={"OMOTES_CALIBRATE": "1"},
    )
    try:
        worker = wait_for(
            lambda: Worker.objects.filter(
                pk=worker_id, calibration_s_per_asset_step__gt=0, contention__gte=1
            ).first(),
            180,
            "the worker to announce its calibration run and its contention",
        )
        model = uploaded_network(api, project)
        # The suite's other simulator workers are live too: the job runs at their mean speed.
        body = estimate(api, model, **WEEK)
        slots = live_slots("simulator")
    finally:
        stack.kill("calibrated-worker", signal.SIGTERM)

    # Seconds per asset and step of a tiny simulation: well under a second each, and not zero.
    assert 1e-5 < worker.calibration_s_per_asset_step < 0.1
    mine = [slot for slot in slots if slot.worker_id == worker_id]
    # Its speed: the machine's (the calibration run); how busy it is (its probes) is kept apart.
    assert [slot.speed for slot in mine] == [
        pytest.approx(speed_factor(worker.calibration_s_per_asset_step))
    ]
    assert mine[0].contention >= 1
    speed = expected_speed(slots)
    assert body["estimate"]["runs"] == 0 and "measured speed" in body["estimate"]["basis"]
    assert body["estimate"]["speed"] == pytest.approx(speed, rel=1e-2)
    prior = prior_model(simulator.runtime_prior).predict(10, WEEK_STEPS)
    assert body["estimate"]["seconds"] == pytest.approx(prior * speed, abs=0.051)  # 0.1 s shown


@pytest.mark.django_db
def test_runs_of_a_fast_and_a_slow_worker_share_one_history(api, owner, network):
    announce("fast", describe(simulator), calibration=FAST)
    announce("slow", describe(simulator), calibration=SLOW)
    # Six runs, alternately on each: the slow worker takes three times as long.
    for number, days in enumerate((2, 3, 7, 10, 20, 30)):
        job = submit_job(owner, network, "simulator", {"end": f"2019-01-{days:02d}T00:00"})
        worker, calibration = ("slow", SLOW) if number % 2 else ("fast", FAST)
        finished(job, worker, reference_s(job.record.steps) * speed_factor(calibration))

    both = estimate(api, network, **WEEK)["estimate"]
    deliver(EventKind.LEAVE, "slow")
    fast_only = estimate(api, network, **WEEK)["estimate"]

    # Normalised by their workers' speeds the six runs agree exactly: no spread at all.
    assert both["runs"] == 6 and both["high_s"] == pytest.approx(both["low_s"], rel=1e-3)
    assert fast_only["seconds"] == pytest.approx(reference_s(WEEK_STEPS), rel=1e-2)
    # Both live: a job takes whichever slot frees, on average at speed (1 + 3) / 2.
    assert both["seconds"] == pytest.approx(2 * reference_s(WEEK_STEPS), rel=1e-2)


@pytest.mark.django_db
@pytest.mark.parametrize("calibration, starts_in_s", [(FAST, 30.0), (SLOW, 90.0)])
def test_the_queue_outlook_runs_a_slot_at_its_workers_speed(
    api, owner, network, calibration, starts_in_s
):
    announce("only", describe(simulator), calibration=calibration)
    job = submit_job(owner, network, "simulator", {**WEEK})
    # It runs now on the only slot, expected to take 30 s on the reference machine.
    job.status, job.worker_id, job.started_at = Job.Status.RUNNING, "only", timezone.now()
    job.save()
    JobRecord.objects.filter(job=job).update(estimate={"seconds": 30.0, "reference_s": 30.0})

    queue = estimate(api, network, **WEEK)["queue"]

    assert queue["slots"] == 1 and queue["ahead"] == 0
    assert queue["starts_in_s"] == pytest.approx(starts_in_s, abs=3)


OPTIMIZER = WorkflowDescription(
    name="optimizer",
    version="mesido-0.1.22",
    title="Optimiser",
    description="",
    parameters=(
        ParameterSpec(
            key="horizon_years",
            type=ParameterType.INT,
            title="Lifetime",
            default=30,
            minimum=1,
            maximum=100,
        ),
    ),
    default_time_limit_s=4 * 3600,
    runtime_prior={"overhead_s": 5.0, "per_asset_squared_s": 0.03},
)


@pytest.mark.django_db
def test_the_optimiser_learns_its_own_scaling_and_shows_the_time_limit(api, owner, network):
    announce("optimiser-worker", OPTIMIZER, calibration=FAST)
    # Past runs on networks of other sizes: 20 s plus 50 ms per asset squared (a MILP).
    for assets in (4, 25, 50, 100, 200, 300):
        job = Job.objects.create(
            owner=owner,
            esdl_model=network,
            workflow="optimizer",
            workflow_version=OPTIMIZER.version,
            esdl="",
            time_limit_s=OPTIMIZER.default_time_limit_s,
        )
        JobRecord.objects.create(job=job, asset_total=assets, steps=1)
        finished(job, "optimiser-worker", 20 + 0.05 * assets**2)

    body = estimate(api, network, "optimizer")

    assert body["estimate"]["runs"] == 6
    assert body["estimate"]["seconds"] == pytest.approx(20 + 0.05 * 10**2, rel=0.02)
    assert body["time_limit_s"] == 4 * 3600
    assert "time limit 4.0 h" in body["text"]


def test_the_text_warns_when_the_likely_range_reaches_the_time_limit():
    hours = Estimate(seconds=3 * 3600, low_s=2 * 3600, high_s=5 * 3600, runs=4)

    assert "time limit 4.0 h (it may be stopped at the limit)" in outlook_text(hours, None, 14400)
    assert "likely be stopped" in outlook_text(hours, None, 2 * 3600)
    assert "stopped" not in outlook_text(hours, None, 6 * 3600)


@pytest.mark.django_db
def test_simulate_kpis_learns_from_the_simulators_runs(api, owner, network):
    # Both run the same simulation: simulate_kpis names the simulator its runtime family.
    kpis = describe(simulate_and_kpis)
    assert kpis.family == "simulator"
    announce("w", describe(simulator), kpis, calibration=FAST)
    for days in (2, 3, 7, 10, 20, 30):
        job = submit_job(owner, network, "simulator", {"end": f"2019-01-{days:02d}T00:00"})
        finished(job, "w", reference_s(job.record.steps) * speed_factor(FAST))

    body = estimate(api, network, "simulate_kpis", **WEEK)["estimate"]

    assert body["runs"] == 6
    assert body["seconds"] == pytest.approx(reference_s(WEEK_STEPS) * speed_factor(FAST), rel=1e-2)


@pytest.mark.django_db
def test_runs_are_learned_at_the_contention_they_met_and_a_busy_machine_widens_the_range(
    api, owner, network
):
    announce("w", describe(simulator), calibration=FAST, contention=1.0)
    # Six runs on a machine shared one to four ways: each took that many times as long.
    for days, contention in zip((2, 3, 7, 10, 20, 30), (1, 4, 2, 3, 1, 2.5), strict=True):
        job = submit_job(owner, network, "simulator", {"end": f"2019-01-{days:02d}T00:00"})
        finished(job, "w", reference_s(job.record.steps) * speed_factor(FAST) * contention)
        JobRecord.objects.filter(job=job).update(run_contention=contention)

    quiet = estimate(api, network, **WEEK)["estimate"]
    announce("w", describe(simulator), calibration=FAST, contention=3.0, kind=EventKind.HEARTBEAT)
    busy = estimate(api, network, **WEEK)["estimate"]

    # Normalised, the six runs agree exactly (no spread). An idle worker's probe does not
    # predict what a job meets, so the load now stretches the range, not the figure.
    assert quiet["high_s"] == pytest.approx(quiet["low_s"], rel=1e-3)
    on_fast = reference_s(WEEK_STEPS) * speed_factor(FAST)
    assert quiet["seconds"] == pytest.approx(on_fast, rel=1e-2)
    assert busy["seconds"] == quiet["seconds"] and busy["low_s"] == quiet["low_s"]
    assert busy["high_s"] == pytest.approx(3 * on_fast, rel=1e-2)
    assert busy["contention"] == 3.0 and "3.0x slower" in busy["basis"]


@pytest.mark.django_db
def test_a_result_records_the_contention_its_run_met(owner, network):
    announce("w", describe(simulator), calibration=FAST)
    job = submit_job(owner, network, "simulator", {**WEEK})
    lifecycle.transition(job.pk, lifecycle.DISPATCH)

    deliver(EventKind.STARTED, "w", job, run_id="run1")
    deliver(EventKind.RESULT, "w", job, run_id="run1", contention=2.25)

    assert JobRecord.objects.get(job=job).run_contention == 2.25
