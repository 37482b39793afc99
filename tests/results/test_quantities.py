"""The quantity catalogue: units scaled and converted for reading, names for people."""

from __future__ import annotations

import pytest

from apps.results.quantities import (
    QUANTITIES,
    asset_class_name,
    catalogue,
    describe_field,
    display_unit,
    format_readable,
    port_role,
    readable,
    to_si,
)
from omotes.asset_roles import HEAT_CONSUMER_CLASSES, HEAT_PRODUCER_CLASSES
from omotes.results import QUANTITY_UNITS


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (398_735.461, "W", (398.735461, "kW")),
        (950.0, "W", (950.0, "W")),
        (2.5e6, "W", (2.5, "MW")),
        (3.2e9, "W", (3.2, "GW")),
        (7.2e9, "J", (2.0, "MWh")),
        (3.6e6, "J", (1.0, "kWh")),
        (1.8e13, "J", (5.0, "GWh")),
        (353.15, "K", (80.0, "°C")),
        (250_000.0, "Pa", (2.5, "bar")),
        (0.01, "m3/s", (36.0, "m³/h")),
        (12.0, "kg/s", (12.0, "kg/s")),
    ],
)
def test_si_values_read_in_the_unit_their_size_calls_for(value, unit, expected):
    number, shown = readable(value, unit)

    assert number == pytest.approx(expected[0])
    assert shown == expected[1]


def test_non_si_kpi_units_are_rescaled_by_size_too():
    assert readable(398_735.0, "MWh") == (pytest.approx(398.735), "GWh")
    assert readable(0.4, "MW") == (pytest.approx(400.0), "kW")
    assert to_si(80.0, "°C") == (pytest.approx(353.15), "K")


def test_readable_text_keeps_three_figures_and_states_the_unit():
    assert format_readable(398_735.461, "W") == "399 kW"
    assert format_readable(353.15, "K") == "80.0 °C"
    assert format_readable(0.25, "-") == "0.25"


def test_negative_values_scale_by_their_magnitude():
    assert display_unit("W", -2e6).unit == "MW"


def test_every_quantity_the_simulator_writes_is_in_the_catalogue_with_its_unit():
    for key, unit in QUANTITY_UNITS.items():
        assert QUANTITIES[key].si_unit == unit, key
        assert QUANTITIES[key].description


def test_ports_of_producers_and_consumers_say_supply_or_return():
    assert describe_field("Out.temperature", "GenericProducer")["name"] == (
        "Supply temperature (Out)"
    )
    assert describe_field("In.temperature", "GenericProducer")["name"] == (
        "Return temperature (In)"
    )
    assert describe_field("In.temperature", "HeatingDemand")["name"] == "Supply temperature (In)"
    assert describe_field("In.mass_flow", "Pipe")["name"] == "Mass flow at In"
    assert describe_field("heat_supplied", "GenericProducer")["group"] == "heat"


def test_a_heat_pump_is_listed_with_the_producers_and_its_out_port_is_the_supply():
    """Only a two-port heat pump (a producer) has In and Out; a four-port one's sides have none."""
    roles = catalogue()["roles"]

    assert set(roles["producers"]) == HEAT_PRODUCER_CLASSES | {"HeatPump"}
    assert set(roles["consumers"]) == HEAT_CONSUMER_CLASSES
    assert port_role("HeatPump", "Out") == "supply"
    assert port_role("GasHeater", "In") == "return"
    assert port_role("HeatPump", "PrimIn") == ""


def test_set_points_stored_negative_are_shown_positive_like_the_heat_they_set():
    """The simulator stores heat_supplied and heat_demand positive, both set points negative."""
    quantities = catalogue()["quantities"]

    assert quantities["heat_supplied"]["shown_sign"] == quantities["heat_demand"]["shown_sign"] == 1
    assert quantities["heat_supply_set_point"]["shown_sign"] == -1
    assert quantities["heat_demand_set_point"]["shown_sign"] == -1
    assert describe_field("heat_supply_set_point", "GenericProducer")["shown_sign"] == -1
    assert describe_field("Out.temperature", "GenericProducer")["shown_sign"] == 1
    assert describe_field("strange", "Pipe", "V")["shown_sign"] == 1


def test_an_unknown_field_keeps_its_key_and_stored_unit():
    assert describe_field("strange", "Pipe", "V") == {
        "key": "strange",
        "name": "strange",
        "description": "",
        "group": "other",
        "si_unit": "V",
        "shown_sign": 1,
    }


def test_asset_classes_read_as_words():
    assert asset_class_name("HeatingDemand") == "Heating demand"
    assert asset_class_name("GenericProducer") == "Producer"
    assert asset_class_name("CheckValve") == "Check valve"


def test_the_catalogue_sent_to_pages_holds_the_display_steps():
    sent = catalogue()

    assert [s["unit"] for s in sent["display"]["W"]] == ["W", "kW", "MW", "GW"]
    assert sent["display"]["K"][0] == {
        "unit": "°C",
        "factor": 1.0,
        "offset": 273.15,
        "threshold": 0.0,
    }
    assert sent["quantities"]["heat_loss"]["group"] == "heat"
    assert "GenericProducer" in sent["roles"]["producers"]
