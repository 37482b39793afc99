"""Economic KPIs on a hand-checked small network (omotes.economics)."""

from __future__ import annotations

import esdl
import pytest
from esdl.esdl_handler import EnergySystemHandler

from omotes.economics import (
    J_PER_MWH,
    AssetEnergy,
    annuity_factor,
    cost_network,
    esdl_capex,
    suspect_zero_loss,
)
from tests.corpus import corpus_path

YEAR_S = 8760 * 3600

FIGURES = {
    "finance.discount_rate": 5.0,
    "generic_producer.investment_eur_per_kw": 100.0,
    "generic_producer.fixed_om_eur_per_kw_yr": 2.0,
    "generic_producer.variable_om_eur_per_mwh": 1.0,
    "generic_producer.lifetime": 20.0,
    "generic_producer.efficiency": 0.9,
    "heat_pump.investment_eur_per_kw": 900.0,  # not used: the ESDL gives the investment
    "heat_pump.fixed_om_eur_per_kw_yr": 3.0,
    "heat_pump.variable_om_eur_per_mwh": 2.0,
    "heat_pump.lifetime": 25.0,
    "heat_pump.efficiency": 3.0,  # not used: the ESDL gives COP 4
    "pipe.investment_eur_per_m.DN150": 800.0,
    "pipe.investment_eur_per_m.DN200": 1000.0,
    "pipe.lifetime": 40.0,
    "pipe.fixed_om_percent_of_capex": 1.0,
    "emission_factor.natural_gas": 200.0,
    "emission_factor.electricity": 300.0,
    "energy_price.natural_gas": 30.0,
    "energy_price.electricity": 80.0,
}


def small_network(with_insulation: bool = True) -> esdl.EnergySystem:
    """A gas-fired producer (1 MW), a heat pump (0.5 MW, COP 4, 400 EUR/kW in its ESDL cost
    information), two DN200 pipes of 1 km (one named by size, one by inner diameter) and a
    consumer, at 80 C."""
    es = esdl.EnergySystem(id="es", name="small")
    info = esdl.EnergySystemInformation(id="info")
    info.carriers = esdl.Carriers(id="carriers")
    info.carriers.carrier.append(esdl.HeatCommodity(id="heat", supplyTemperature=80.0))
    es.energySystemInformation = info
    area = esdl.Area(id="area")
    es.instance.append(esdl.Instance(id="inst", area=area))
    area.asset.append(esdl.GenericProducer(id="gp", name="Boiler", power=1e6))
    hp = esdl.HeatPump(id="hp", name="Heat pump", power=5e5, COP=4.0)
    unit = esdl.QuantityAndUnitType(
        id="u",
        unit=esdl.UnitEnum.EURO,
        perMultiplier=esdl.MultiplierEnum.KILO,
        perUnit=esdl.UnitEnum.WATT,
    )
    hp.costInformation = esdl.CostInformation(
        id="ci", investmentCosts=esdl.SingleValue(id="iv", value=400.0, profileQuantityAndUnit=unit)
    )
    area.asset.append(hp)
    for pid, kwargs in (
        ("p1", {"diameter": esdl.PipeDiameterEnum.DN200}),
        ("p2", {"innerDiameter": 0.2101}),
    ):
        pipe = esdl.Pipe(id=pid, name=pid, length=1000.0, **kwargs)
        if with_insulation:
            pipe.material = esdl.CompoundMatter(compoundType=esdl.CompoundTypeEnum.LAYERED)
        area.asset.append(pipe)
    area.asset.append(esdl.HeatingDemand(id="d", name="Consumer", power=3e6))
    return es


ENERGIES = {
    "gp": AssetEnergy(supplied_j=2000 * J_PER_MWH),
    "hp": AssetEnergy(supplied_j=1000 * J_PER_MWH),
    "d": AssetEnergy(demand_j=2700 * J_PER_MWH),
    "p1": AssetEnergy(loss_j=150 * J_PER_MWH),
    "p2": AssetEnergy(loss_j=150 * J_PER_MWH),
}


def test_costs_lcoh_and_co2_of_a_small_network_match_the_hand_calculation():
    """Worked out by hand, over one simulated year at a 5 % discount rate:

    Boiler (key figures): CAPEX 100 EUR/kW x 1,000 kW = 100,000; fixed O&M 2 x 1,000 = 2,000;
    variable O&M 1 x 2,000 MWh = 2,000; gas 2,000 / 0.9 = 2,222.2 MWh x 30 = 66,666.7 EUR/yr and
    x 200 kg = 444,444 kg CO2; annuity a(5 %, 20) = 0.0802426 -> 8,024.3 EUR/yr.
    Heat pump: CAPEX from the ESDL 400 EUR/kW x 500 kW = 200,000; fixed 3 x 500 = 1,500;
    variable 2 x 1,000 = 2,000; electricity 1,000 / COP 4 (ESDL) = 250 MWh x 80 = 20,000 and
    x 300 kg = 75,000 kg; a(5 %, 25) = 0.0709525 -> 14,190.5.
    Pipes: 2 x DN200 (the second by its 210 mm inner diameter) x 1,000 m x 1,000 EUR/m =
    2,000,000; O&M 1 % = 20,000; a(5 %, 40) = 0.0582782 -> 116,556.3.
    CAPEX 2,300,000; OPEX 4,000 + 66,666.7 + 3,500 + 20,000 + 20,000 = 114,166.7 EUR/yr;
    total 138,771.1 + 114,166.7 = 252,937.7 EUR/yr; LCOH 252,937.7 / 2,700 = 93.68 EUR/MWh;
    CO2 519.44 t/yr, 519,444 / 2,700 = 192.39 kg/MWh; shares 2/3 and 1/3; pipe loss 300 MWh/yr.
    """
    costing = cost_network(small_network(), ENERGIES, YEAR_S, FIGURES)
    kpis = {k.key: k for k in costing.kpis}
    assert kpis["capex"].value == pytest.approx(2_300_000)
    assert kpis["opex"].value == pytest.approx(114_166.667, rel=1e-6)
    assert kpis["total_cost"].value == pytest.approx(252_937.74, rel=1e-6)
    assert (kpis["lcoh"].value, kpis["lcoh"].unit) == (pytest.approx(93.6806, rel=1e-5), "EUR/MWh")
    assert kpis["co2"].value == pytest.approx(519.444, rel=1e-5)
    assert kpis["co2_per_mwh"].value == pytest.approx(192.387, rel=1e-5)
    assert kpis["pipe_loss_yearly"].value == pytest.approx(300)
    assert kpis["share:gp"].value == pytest.approx(200 / 3)
    assert kpis["supplied:hp"].value == pytest.approx(1000)
    assert kpis["bought:natural_gas"].value == pytest.approx(2222.222, rel=1e-6)
    assert kpis["bought:electricity"].value == pytest.approx(250)
    by_id = {c.asset_id: c for c in costing.assets}
    assert by_id["hp"].capex_source == "ESDL costInformation"
    assert by_id["gp"].capex_source == "key figure generic_producer.investment_eur_per_kw"
    assert by_id["p2"].capex_source == "key figure pipe.investment_eur_per_m.DN200"
    assert "heat_pump.investment_eur_per_kw" not in costing.figures_used
    assert costing.figures_used["finance.discount_rate"] == 5.0
    assert costing.warnings == []


def test_a_shorter_simulation_is_scaled_to_a_year():
    quarter = cost_network(small_network(), ENERGIES, YEAR_S / 4, FIGURES)
    kpis = {k.key: k.value for k in quarter.kpis}
    assert kpis["supplied:gp"] == pytest.approx(8000)
    assert kpis["capex"] == pytest.approx(2_300_000)


def test_missing_figures_are_warned_about_not_invented():
    costing = cost_network(small_network(), ENERGIES, YEAR_S, {"pipe.lifetime": 40})
    kpis = {k.key: k.value for k in costing.kpis}
    assert kpis["capex"] == pytest.approx(200_000)  # only the heat pump's own cost information
    assert any("no figure pipe.investment_eur_per_m.DN200" in w for w in costing.warnings)
    assert any("No discount rate" in w for w in costing.warnings)


def test_a_heat_pump_between_two_networks_buys_what_it_used_and_shares_what_it_added():
    """A four-port heat pump delivers 1,000 MWh to its secondary network: 600 MWh it took from
    the primary one (which the boiler supplied) and 400 MWh of electricity the simulator
    metered. It buys those 400 MWh (not 1,000 / COP 4 = 250), and of the 2,400 MWh that entered
    the system it added a sixth."""
    energies = {
        **ENERGIES,
        "hp": AssetEnergy(
            supplied_j=1000 * J_PER_MWH, taken_j=600 * J_PER_MWH, electricity_j=400 * J_PER_MWH
        ),
    }
    kpis = {k.key: k.value for k in cost_network(small_network(), energies, YEAR_S, FIGURES).kpis}

    assert kpis["supplied:hp"] == pytest.approx(1000)
    assert kpis["bought:electricity"] == pytest.approx(400)
    assert kpis["share:hp"] == pytest.approx(100 / 6)
    assert kpis["share:gp"] == pytest.approx(500 / 6)
    assert kpis["co2"] == pytest.approx(444.444 + 120, rel=1e-5)  # gas as before + 400 x 0.3 t


def test_a_heat_pump_whose_electricity_the_simulator_metered_buys_that_not_heat_over_cop():
    """An air-to-water heat pump (two ports) writes its heat supplied and its electricity: the
    metered 300 MWh is bought, not 1,000 / COP 4 = 250, and all its heat is its own."""
    energies = {
        **ENERGIES,
        "hp": AssetEnergy(supplied_j=1000 * J_PER_MWH, electricity_j=300 * J_PER_MWH),
    }
    kpis = {k.key: k.value for k in cost_network(small_network(), energies, YEAR_S, FIGURES).kpis}

    assert kpis["bought:electricity"] == pytest.approx(300)
    assert kpis["share:hp"] == pytest.approx(100 / 3)


def test_annuity_factor():
    assert annuity_factor(0.05, 20) == pytest.approx(0.0802426, rel=1e-6)
    assert annuity_factor(0.0, 20) == pytest.approx(0.05)


def test_capex_from_esdl_cost_information_matches_kpi_calculator():
    """OMOTES kpi-calculator 0.4.2 gives CAPEX 2,856,243.6 EUR for this model (tried by hand:
    ``calculate_kpis("heat_pump_bypass.esdl")["financials"]["capex"]["All"]``)."""
    handler = EnergySystemHandler()
    es = handler.load_file(str(corpus_path("heat_pump_bypass.esdl")))
    total = sum(esdl_capex(a) or 0.0 for a in es.eAllContents() if isinstance(a, esdl.Asset))
    assert total == pytest.approx(2_856_243.6)


def test_zero_pipe_loss_at_80_c_is_suspect_with_its_reason():
    no_loss = {k: v for k, v in ENERGIES.items() if not k.startswith("p")}
    reason = suspect_zero_loss(small_network(with_insulation=False), no_loss)
    assert reason == (
        "Zero pipe heat loss for 2.0 km of pipe at 80 C is suspect: "
        "2 of 2 pipes have no insulation data (material layers)."
    )
    assert suspect_zero_loss(small_network(), ENERGIES) is None
