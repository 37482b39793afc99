"""The optimiser (mesido) as a user drives it: through the API, run by a worker of its own venv.

The worker is started from ``.venv-optimizer`` (scripts/setup.sh makes it), with the main venv as
its peer for the simulation step of ``optimize_simulate``. The model is
:func:`omotes.esdl_generator.producer_choice_network`: a cheap producer limited to 1 MW, a dear
one big enough for everything, three heating demands (peaks 0.5, 0.6, 0.7 MW) with a year of
hourly input profiles (bound by the profile binder as for any upload).
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import esdl
import pytest
from esdl.esdl_handler import EnergySystemHandler

from apps.jobs.models import Job
from omotes.esdl_generator import generate_network, producer_choice_network
from omotes.influx import InfluxClient
from omotes.workflows.optimizer_check import SIZED_PIPE_DNS, check_model
from omotes.workflows.peer import PEER_PYTHON_ENV
from tests.conftest import ROOT, Stack, bind_profiles, wait_for
from tests.jobs.test_end_to_end import series_total
from tests.models.test_upload_api import upload

OPTIMIZER_PYTHON = ROOT / ".venv-optimizer" / "bin" / "python"
needs_optimizer = pytest.mark.skipif(
    not OPTIMIZER_PYTHON.exists(), reason="no .venv-optimizer (scripts/setup.sh makes it)"
)
WORKFLOWS = "optimizer,optimizer_no_heat_losses,optimize_simulate"


def _energy_system(text: str) -> esdl.EnergySystem:
    return EnergySystemHandler().load_from_string(text)


def _assets(energy_system: esdl.EnergySystem, kind: type) -> dict[str, esdl.Asset]:
    return {a.name: a for a in energy_system.eAllContents() if isinstance(a, kind)}


# -- refusal at submit: a pure check, no mesido needed -----------------------------------------


def test_a_heat_network_passes_the_check():
    assert check_model(producer_choice_network().energy_system) == []
    assert check_model(generate_network(25).energy_system) == []


def test_models_without_a_heat_network_or_with_other_assets_are_refused_with_reasons():
    handler = EnergySystemHandler()
    electricity = handler.create_empty_energy_system("power", "", "Instance", "Area")
    area = electricity.instance[0].area
    area.asset.extend([esdl.PVInstallation(id="pv1", name="Roof PV"), esdl.Battery(id="b1")])

    reasons = check_model(electricity)

    assert any("needs a heat carrier" in r and "0 demand(s)" in r for r in reasons)
    assert any("PVInstallation assets (1: 'Roof PV')" in r for r in reasons)
    assert any("Battery assets (1: 'b1')" in r for r in reasons)

    heat = producer_choice_network()
    heat.energy_system.instance[0].area.asset.append(esdl.WindTurbine(id="w", name="Mill"))
    assert check_model(heat.energy_system) == [
        "The optimiser cannot take WindTurbine assets (1: 'Mill'); remove them or use a model "
        "of the heat network alone."
    ]


def test_an_optional_pipe_needs_a_size_the_optimiser_can_give_as_its_largest():
    handler = producer_choice_network()
    pipes = _assets(handler.energy_system, esdl.Pipe)
    pipes["Pipe_demand_supply_0001"].diameter = esdl.PipeDiameterEnum.VALUE_SPECIFIED
    pipes["Pipe_demand_return_0001"].diameter = esdl.PipeDiameterEnum.DN650
    pipes["Pipe_demand_supply_0002"].diameter = esdl.PipeDiameterEnum.DN15
    pipes["Pipe_demand_supply_0002"].state = esdl.AssetStateEnum.ENABLED  # kept as it is

    assert check_model(handler.energy_system) == [
        "Optional pipes are sized up to their own nominal diameter, one of DN20 to DN1200; 2 "
        "have none or another ('Pipe_demand_supply_0001', 'Pipe_demand_return_0001'): give "
        "each its largest allowed DN."
    ]


# -- a worker offers what imports in its venv -------------------------------------------------


def _available(python: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != PEER_PYTHON_ENV}
    done = subprocess.run(
        [python, "-c", "from omotes.workflows import registry; print(registry.available())"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return ast.literal_eval(done.stdout.strip().splitlines()[-1])


@needs_optimizer
def test_the_sizes_the_check_allows_are_mesidos_pipe_catalogue():
    code = (
        "from mesido.esdl.asset_to_component_base import _AssetToComponentBase as A; "
        "print([dn.name for dn in A.STEEL_S1_PIPE_EDR_ASSETS])"
    )
    done = subprocess.run(
        [str(OPTIMIZER_PYTHON), "-c", code], capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert tuple(ast.literal_eval(done.stdout.strip())) == SIZED_PIPE_DNS


@needs_optimizer
def test_each_venv_offers_the_workflows_that_import_in_it():
    main = _available(sys.executable)
    optimiser = _available(str(OPTIMIZER_PYTHON))

    assert {"simulator", "simulate_kpis", "kpis"} <= set(main)
    assert not {"optimizer", "optimize_simulate"} & set(main)
    assert {"optimizer", "optimizer_no_heat_losses", "kpis"} <= set(optimiser)
    # Without a peer venv, a sequence with a simulation step is not offered by the optimiser's.
    assert not {"simulator", "simulate_kpis", "optimize_simulate"} & set(optimiser)


# -- through the product ---------------------------------------------------------------------


@pytest.fixture
def optimizer_worker(stack: Stack, transactional_db) -> Iterator[str]:
    """One live optimiser worker from the optimiser's venv, known to the frontend."""
    from apps.jobs.workflows import offered_workflows

    if OPTIMIZER_PYTHON.exists() and (
        "optimizer" not in stack.processes or stack.processes["optimizer"].poll() is not None
    ):
        stack.start(
            "optimizer",
            *("-m", "omotes.worker", "--workflows", WORKFLOWS, "--worker-id", "optimizer-test"),
            python=str(OPTIMIZER_PYTHON),
            env={"OMOTES_PEER_PYTHON": sys.executable},
        )
    wait_for(lambda: "optimize_simulate" in offered_workflows(), 120, "the optimiser to announce")
    yield "optimizer"
    # The InfluxDB databases of the test's jobs go with them (before the rows are flushed).
    client = InfluxClient()
    for job in Job.objects.only("id"):
        client.drop_database(job.database)


def _submit(api, project: int, content: bytes, workflow: str, params: dict | None = None) -> str:
    model = upload(api, project, "choice", content)
    assert model.status_code == 201, model.content
    bind_profiles(model.json()["id"])
    job = api.post(
        "/api/jobs/",
        {"model": model.json()["id"], "workflow": workflow, "params": params or {}},
        format="json",
    )
    assert job.status_code == 201, job.content
    return job.json()["id"]


def wait_until_done(job_id: str, timeout: float) -> Job:
    """The job once it ended (read from the database: the API would throttle minutes of
    polling)."""
    return wait_for(
        lambda: Job.objects.filter(pk=job_id, status__in=Job.TERMINAL).first(),
        timeout,
        f"job {job_id} to end",
        interval=1.0,
    )


def _choice_network() -> bytes:
    return producer_choice_network().to_string().encode()


@needs_optimizer
def test_optimiser_runs_the_cheap_producer_first_and_meets_demand(api, project, optimizer_worker):
    job_id = _submit(api, project, _choice_network(), "optimizer")

    state = wait_until_done(job_id, 540)

    assert state.status == "succeeded", state.error
    job = Job.objects.get(pk=job_id)
    producers = _assets(_energy_system(job.output_esdl), esdl.GenericProducer)
    cheap, dear = producers["ProducerCheap_0001"], producers["ProducerDear_0001"]
    # Sized: the cheap one at its limit, the dear one only for what the cheap one cannot do.
    assert cheap.power == pytest.approx(1.0e6)
    assert 0 < dear.power < cheap.power
    series = api.get(f"/api/jobs/{job_id}/series/").json()
    by_name = {s["asset_name"]: s for s in series if s["field"] == "Heat_flow"}
    assert set(by_name) == {"ProducerCheap_0001", "ProducerDear_0001"}
    cheap_w = series_total(api, job_id, [by_name["ProducerCheap_0001"]], "Generic", "Heat_flow")
    dear_w = series_total(api, job_id, [by_name["ProducerDear_0001"]], "Generic", "Heat_flow")
    assert sum(cheap_w) > 3 * sum(dear_w) > 0
    # Demand met: the producers' peak together covers the demands' peak (0.5 + 0.6 + 0.7 MW
    # times their profiles' peak), and no demand is reported short.
    peak = max(a + b for a, b in zip(cheap_w, dear_w, strict=True))
    assert peak >= 0.5 * 1.8e6
    assert not [m for m in job.messages if m["severity"] == "error"]
    kpis = {k["key"]: k["value"] for k in job.kpis}
    assert kpis["capex_breakdown_30_0_year_period_genericproducer"] == pytest.approx(
        100.0 * (cheap.power + dear.power) / 1e3, rel=1e-6
    )
    assert job.progress == 1.0
    _assert_pipes_sized(_energy_system(job.esdl), _energy_system(job.output_esdl))


def _dn(pipe: esdl.Pipe) -> int:
    return int(pipe.diameter.name.removeprefix("DN"))


def _assert_pipes_sized(model: esdl.EnergySystem, sized: esdl.EnergySystem) -> None:
    """Each optional pipe of the choice network got a DN of its own from the optimiser: none
    above the model's (its largest allowed), smaller ones where less heat flows."""
    given, pipes = _assets(model, esdl.Pipe), _assets(sized, esdl.Pipe)
    assert set(pipes) == set(given)  # every pipe is needed: none removed
    assert all(p.state == esdl.AssetStateEnum.ENABLED for p in pipes.values())
    assert all(_dn(pipes[name]) <= _dn(pipe) for name, pipe in given.items())
    assert all(_dn(pipes[name]) < _dn(pipe) for name, pipe in given.items() if "demand" in name)
    # The 0.5 MW demand's pipe is no larger than the 0.7 MW one's, and both are smaller than
    # the pipe from the cheap producer, which carries its full 1 MW at the peak.
    small, large = pipes["Pipe_demand_supply_0001"], pipes["Pipe_demand_supply_0003"]
    main = pipes["Pipe_producer_supply_0001"]
    assert _dn(small) <= _dn(large) < _dn(main)
    # Each sized pipe has the inner diameter of its size, not the model's; a return pipe has
    # the size of its supply pipe.
    assert small.innerDiameter < given["Pipe_demand_supply_0001"].innerDiameter
    for name, pipe in pipes.items():
        assert _dn(pipe) == _dn(pipes[name.replace("supply", "return")]), name


@needs_optimizer
def test_the_optimised_network_is_saved_as_a_variation(api, project, owner, optimizer_worker):
    from django.test import Client

    from apps.models.models import EsdlModel

    job_id = _submit(api, project, _choice_network(), "optimizer_no_heat_losses")
    assert wait_until_done(job_id, 540).status == "succeeded"
    job = Job.objects.get(pk=job_id)
    browser = Client()
    browser.force_login(owner)
    page = browser.get(f"/jobs/{job_id}/")
    assert b"Save the optimised network as a variation" in page.content

    response = browser.post(f"/jobs/{job_id}/save-variation/", {"name": "Sized"})

    variation = EsdlModel.objects.get(project_id=project, name="Sized")
    assert response.status_code == 302 and response["Location"] == variation.get_absolute_url()
    assert variation.variation_of_id == job.esdl_model_id
    saved = _energy_system(variation.esdl)
    sized = _assets(_energy_system(job.output_esdl), esdl.GenericProducer)
    assert {n: a.power for n, a in _assets(saved, esdl.GenericProducer).items()} == {
        n: a.power for n, a in sized.items()
    }
    databases = {p.database for p in saved.eAllContents() if isinstance(p, esdl.InfluxDBProfile)}
    assert job.database not in databases and databases  # the demands' input profiles stay


@needs_optimizer
def test_optimise_then_simulate_in_one_job(api, project, optimizer_worker):
    # The optimiser sizes for the year; the simulation runs the first two weeks (test time).
    two_weeks = {"start": "2019-01-01T00:00:00+00:00", "end": "2019-01-14T23:00:00+00:00"}
    job_id = _submit(api, project, _choice_network(), "optimize_simulate", two_weeks)

    state = wait_until_done(job_id, 540)

    assert state.status == "succeeded", state.error
    job = Job.objects.get(pk=job_id)
    fields = {(s["asset_class"], s["field"]) for s in job.series}
    assert ("GenericProducer", "Heat_flow") in fields  # the optimiser's schedules
    assert ("HeatingDemand", "heat_demand") in fields  # the simulation of the sized network
    kpis = {k["key"]: k for k in job.kpis}
    assert kpis["heat_delivered"]["value"] > 0  # the KPI step, on the simulation
    assert "capex_breakdown_30_0_year_period_genericproducer" in kpis  # the optimiser's
    producers = _assets(_energy_system(job.output_esdl), esdl.GenericProducer)
    assert producers["ProducerDear_0001"].power < producers["ProducerCheap_0001"].power


def _worker_job_children(worker_pid: int) -> list[int]:
    """The worker's job processes: the children of its fork server (omotes.worker.child)."""
    parents: dict[int, int] = {}
    servers = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parents[int(entry.name)] = parent
        if parent == worker_pid and b"forkserver" in cmdline:
            servers.add(int(entry.name))
    return [pid for pid, parent in parents.items() if parent in servers]


@needs_optimizer
def test_cancel_stops_the_optimiser_within_seconds(api, project, optimizer_worker, stack):
    big = generate_network(400).to_string().encode()  # minutes of solving (100 assets: ~11 s)
    job_id = _submit(api, project, big, "optimizer")
    worker_pid = stack.processes["optimizer"].pid
    wait_for(
        lambda: Job.objects.get(pk=job_id).progress_message.startswith("stage"),
        300,
        "the optimiser to start solving",
    )
    running = set(_worker_job_children(worker_pid))
    assert running

    started = time.monotonic()
    response = api.post(f"/api/jobs/{job_id}/cancel/")
    assert response.status_code in (200, 202), response.content
    state = wait_until_done(job_id, 30)

    assert state.status == "cancelled"
    # The job's process goes; a spare started for the next job may take its place.
    wait_for(
        lambda: not running <= set(_worker_job_children(worker_pid)),
        15,
        "the job process to be killed",
    )
    assert time.monotonic() - started < 20


@needs_optimizer
def test_an_optimiser_job_out_of_time_stops_with_what_it_was_doing_and_what_to_do(
    api, project, optimizer_worker, stack
):
    from apps.jobs.models import WorkflowSetting

    WorkflowSetting.objects.create(workflow="optimizer", time_limit_s=20)
    big = generate_network(400).to_string().encode()  # minutes of solving (100 assets: ~11 s)
    job_id = _submit(api, project, big, "optimizer")
    worker_pid = stack.processes["optimizer"].pid
    wait_for(lambda: Job.objects.get(pk=job_id).status == "running", 60, "the job to start")
    running = set(_worker_job_children(worker_pid))

    state = wait_until_done(job_id, 120)

    assert state.status == "failed", f"{state.status} after {state.finished_at - state.started_at}"
    assert re.fullmatch(
        # What it was doing (its last progress: "stage 1/2: matching demand", "3 of 4 goals
        # solved"...), once it said: on a busy machine mesido may still be loading.
        r'Time limit of 20 s exceeded( during "[^"]+")?; job stopped\. The optimiser keeps no '
        r"partial design\. Ask an operator for a longer time limit for this workflow, or try "
        r"the optimiser without heat losses \(faster\) or a smaller model\.",
        state.error,
    ), state.error
    # The job's process goes; a spare started for the next job may take its place.
    wait_for(
        lambda: not running <= set(_worker_job_children(worker_pid)),
        15,
        "the job process to be killed",
    )


@needs_optimizer
def test_infeasible_design_names_the_demands_short_and_the_producers_at_their_limit(
    api, project, owner, optimizer_worker
):
    from django.test import Client

    handler = producer_choice_network()
    producers = _assets(handler.energy_system, esdl.GenericProducer)
    for producer in producers.values():
        producer.power = 200e3  # 0.4 MW together for 1.8 MW of peak demand
    demands = _assets(handler.energy_system, esdl.HeatingDemand)
    job_id = _submit(api, project, handler.to_string().encode(), "optimizer_no_heat_losses")

    state = wait_until_done(job_id, 540)

    assert state.status == "failed"
    assert state.error.startswith("The optimiser cannot meet all heat demand")
    on_asset = {m["esdl_object_id"]: m["message"] for m in state.messages}
    assert {on_asset[d.id].split(":")[0] for d in demands.values()} == {
        f"Demand '{name}' cannot be met" for name in demands
    }
    assert all("maximum size" in on_asset[p.id] for p in producers.values())
    # The job page shows each next to its asset.
    browser = Client()
    browser.force_login(owner)
    page = browser.get(f"/jobs/{job_id}/").content.decode()
    for asset in [*demands.values(), *producers.values()]:
        assert f'<tr data-asset-id="{asset.id}"><td>error</td><td><strong>{asset.name}' in page


@needs_optimizer
def test_an_impossible_design_fails_with_a_message_on_the_asset(api, project, optimizer_worker):
    # mesido's asset checks (MesidoAssetIssueError): a demand cannot be optional, it is not
    # sized. (An installed power below the profile's peak is another; here the profile binder
    # scales standard profiles to the demand's power, so that one cannot be provoked.)
    handler = producer_choice_network()
    demand = _assets(handler.energy_system, esdl.HeatingDemand)["HeatingDemand_0001"]
    demand.state = esdl.AssetStateEnum.OPTIONAL
    job_id = _submit(api, project, handler.to_string().encode(), "optimizer")

    state = wait_until_done(job_id, 540)

    assert state.status == "failed"
    assert state.error.startswith("The optimiser cannot size this network")
    job = Job.objects.get(pk=job_id)
    assert [(m["severity"], m["esdl_object_id"]) for m in job.messages] == [("error", demand.id)]
    assert "HeatingDemand_0001" in job.messages[0]["message"]


@needs_optimizer
def test_a_model_the_optimiser_cannot_take_is_refused_at_submit(api, project, optimizer_worker):
    handler = producer_choice_network()
    handler.energy_system.instance[0].area.asset.append(esdl.WindTurbine(id="w1", name="Mill"))
    model = upload(api, project, "with-wind", handler.to_string().encode())
    assert model.status_code == 201, model.content
    bind_profiles(model.json()["id"])

    response = api.post(
        "/api/jobs/", {"model": model.json()["id"], "workflow": "optimizer"}, format="json"
    )

    assert response.status_code == 422  # the pre-flight check's refusal, as for every workflow
    assert "cannot take WindTurbine assets (1: 'Mill')" in str(response.json())
    assert not Job.objects.filter(esdl_model_id=model.json()["id"]).exists()


@needs_optimizer
def test_bench_e2e_runs_the_optimizer_against_the_running_product(
    owner, optimizer_worker, stack, tmp_path
):
    from bench import e2e
    from omotes.esdl_generator import main as generate
    from tests.conftest import PASSWORD, serve_web

    model = tmp_path / "choice.esdl"
    assert generate(["--producer-choice", "-o", str(model)]) == 0
    url = serve_web(stack)
    try:
        result = e2e.run(
            e2e.parse_args(
                [str(model), "--workflow", "optimizer", "--url", url, "--user", owner.email]
                + ["--password", PASSWORD, "--timeout", "600"]
            )
        )
    finally:
        stack.kill("web")  # the next test that serves the web app starts its own

    assert result["status"] == "succeeded", result
    assert result["series"] == 2  # the two producers' schedules
