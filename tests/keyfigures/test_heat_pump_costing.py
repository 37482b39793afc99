"""A heat pump between two networks, simulated for real, is costed by what the simulator says it
did: the heat it delivered to its secondary network, the heat it took from the primary one and
the electricity it used (it writes no ``heat_supplied``, which costing read alone before)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import esdl
import pytest
from esdl.esdl_handler import EnergySystemHandler

from apps.comparison.kpis import derive_kpis
from apps.jobs.models import Job
from apps.keyfigures.costing import _physical_kpis, current_figures, read_energies
from apps.keyfigures.services import default_version
from omotes.economics import J_PER_MWH, cost_network
from omotes.influx import InfluxClient, InfluxSettings
from omotes.protocol import job_database
from omotes.workflows.base import JobContext
from omotes.workflows.kpis import compute_kpis
from omotes.workflows.simulator import workflow as simulator
from tests.corpus import corpus_path
from tests.omotes.test_simulator_workflow import END, START, load_profiles

pytestmark = pytest.mark.django_db

HEAT_PUMP = "d90ca53c-03cf-4e08-a7a8-a81b5090e7d9"  # COP 5, 5 MW, four ports


def heat_pump_network() -> EnergySystemHandler:
    """heat_pump_bypass.esdl with its ATES (which needs Java here) made a producer: the heat
    pump's primary side then takes heat from it, and its secondary side feeds the consumer."""
    handler = EnergySystemHandler()
    handler.load_file(str(corpus_path("heat_pump_bypass.esdl")))
    area = handler.energy_system.instance[0].area
    [ates] = [a for a in area.asset if isinstance(a, esdl.ATES)]
    source = esdl.GenericProducer(id=ates.id, name="Primary source", power=5e6)
    for port in list(ates.port):
        source.port.append(port)
    area.asset.remove(ates)
    area.asset.append(source)
    return handler


@pytest.fixture(scope="module")
def simulated(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[InfluxClient, str, list[dict], esdl.EnergySystem, uuid.UUID]]:
    influx = InfluxClient(InfluxSettings.from_env())
    handler = heat_pump_network()
    profiles, job_id = f"test_profiles_{uuid.uuid4().hex}", uuid.uuid4()
    try:
        load_profiles(influx, handler, profiles)
        context = JobContext(
            job_id=job_id,
            influx=influx.settings,
            workdir=tmp_path_factory.mktemp("heat-pump"),
            progress=lambda fraction, message: None,
        )
        period = {"timestep_s": 3600, "start": START.isoformat(), "end": END.isoformat()}
        result = simulator.run(handler.to_string(), period, context)
        output = EnergySystemHandler().load_from_string(result.output_esdl)
        yield influx, job_database(job_id), [s.to_dict() for s in result.series], output, job_id
    finally:
        influx.drop_database(profiles)
        influx.drop_database(job_database(job_id))


def test_the_heat_pump_delivers_what_it_took_plus_the_electricity_it_used(simulated):
    influx, database, series, *_ = simulated
    energies, _ = read_energies(influx, database, series)
    pump = energies[HEAT_PUMP]

    assert pump.supplied_j > 0 and pump.taken_j > 0 and pump.electricity_j > 0
    assert pump.supplied_j == pytest.approx(pump.taken_j + pump.electricity_j, rel=1e-3)
    assert pump.peak_supplied_w > 0


def test_the_heat_that_entered_the_system_balances_what_the_consumers_used(simulated):
    influx, database, series, *_ = simulated
    energies, _ = read_energies(influx, database, series)
    kpis = {k["key"]: k["value"] for k in _physical_kpis(series, energies)}

    # the primary source's heat passes through the pump: counted once, not twice
    assert kpis["heat_supplied"] == pytest.approx(
        kpis["heat_delivered"] + kpis["heat_loss"], rel=0.01
    )
    # the consumer's demand peaks at 3 MW (load_profiles' daily cycle of 1 to 3 MW)
    assert kpis["peak_supply"] == pytest.approx(3.0, rel=0.02)
    assert kpis["full_load_hours"] <= 48  # two simulated days


def test_the_heat_pump_buys_its_metered_electricity_and_gets_its_share(simulated):
    influx, database, series, output, _ = simulated
    energies, period_s = read_energies(influx, database, series)
    figures, _ = current_figures(default_version())

    costing = cost_network(output, energies, period_s, figures)

    kpis = {k.key: k.value for k in costing.kpis}
    year = 8760 * 3600 / period_s
    electricity_mwh = energies[HEAT_PUMP].electricity_j / J_PER_MWH * year
    assert kpis["bought:electricity"] == pytest.approx(electricity_mwh)
    assert kpis[f"supplied:{HEAT_PUMP}"] == pytest.approx(
        energies[HEAT_PUMP].supplied_j / J_PER_MWH * year
    )
    shares = {key: value for key, value in kpis.items() if key.startswith("share:")}
    assert sum(shares.values()) == pytest.approx(100.0)
    added = energies[HEAT_PUMP].supplied_j - energies[HEAT_PUMP].taken_j
    entered = sum(e.supplied_j - e.taken_j for e in energies.values())
    assert shares[f"share:{HEAT_PUMP}"] == pytest.approx(100 * added / entered)
    [pump] = [c for c in costing.assets if c.asset_id == HEAT_PUMP]
    assert pump.energy_cost_eur_yr > 0 and pump.co2_kg_yr > 0


def test_the_kpi_workflow_reads_the_same_from_the_output_esdl(simulated):
    """The ``kpis`` workflow finds the series through the output ESDL's profiles, not the
    result's list: the same definitions must give the same figures."""
    influx, database, series, output, _ = simulated
    energies, _ = read_energies(influx, database, series)
    from_result = {k["key"]: k["value"] for k in _physical_kpis(series, energies)}

    from_esdl = {k.key: k.value for k in compute_kpis(influx, output)}

    assert from_esdl == pytest.approx(from_result, rel=1e-6)


def test_the_comparison_derives_the_same_for_a_job_without_kpis(simulated):
    """A job that only simulated gets its KPIs derived on the comparison page, by the same
    roles and peaks."""
    influx, database, series, _, job_id = simulated
    energies, _ = read_energies(influx, database, series)
    from_result = {k["key"]: k["value"] for k in _physical_kpis(series, energies)}

    derived = {k["key"]: k["value"] for k in derive_kpis(Job(id=job_id, series=series), influx)}

    assert derived == pytest.approx(from_result, rel=1e-6)
