"""Shared ESDL test data for the tests of apps.models: the shared models, and helpers.

The asset counts and totals describe the models in ``shared/esdl``; ``no_io`` guards a block
against any file open or outgoing connection.
"""

from __future__ import annotations

import builtins
import io
import socket
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from apps.models.esdl_document import EsdlDocument
from tests.corpus import corpus_path

EXPECTED_COUNTS = {
    "test1": {"GenericProducer": 1, "HeatingDemand": 1, "Pipe": 2},
    "test1_heatloss": {"GenericProducer": 1, "HeatingDemand": 1, "Pipe": 2},
    "test1_prod_profile": {"GenericProducer": 1, "HeatingDemand": 1, "Pipe": 2},
    "Simple_heat_exchange": {"GenericConsumer": 1, "GenericProducer": 1, "HeatExchange": 1},
    "test_2_sources": {"GenericProducer": 2, "HeatingDemand": 1, "Joint": 2, "Pipe": 4},
    "2sources": {"GenericProducer": 2, "HeatingDemand": 1, "Joint": 2, "Pipe": 6},
    "test_buffer": {
        "HeatProducer": 1,
        "HeatStorage": 1,
        "HeatingDemand": 1,
        "Joint": 2,
        "Pipe": 6,
    },
    "heat_pump_bypass": {
        "ATES": 1,
        "GenericProducer": 1,
        "HeatPump": 1,
        "HeatingDemand": 1,
        "Joint": 2,
        "Pipe": 8,
    },
    "test_ates": {"ATES": 1, "GenericProducer": 1, "HeatingDemand": 3, "Joint": 6, "Pipe": 14},
    "cluster1merged_pipes": {"GenericProducer": 2, "HeatingDemand": 3, "Joint": 14, "Pipe": 22},
}
# Totals as stated in shared/esdl/README.md (`<asset ` elements per file).
EXPECTED_TOTALS = {
    "test1": 4,
    "test1_heatloss": 4,
    "test1_prod_profile": 4,
    "Simple_heat_exchange": 3,
    "test_2_sources": 9,
    "2sources": 11,
    "test_buffer": 11,
    "heat_pump_bypass": 14,
    "test_ates": 25,
    "cluster1merged_pipes": 41,
}

MINIMAL = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<esdl:EnergySystem xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:esdl="http://www.tno.nl/esdl" id="es1" name="Minimal">\n'
    '  <instance xsi:type="esdl:Instance" id="i1" name="I">\n'
    '    <area xsi:type="esdl:Area" id="a1" name="A">{body}</area>\n'
    "  </instance>\n"
    "</esdl:EnergySystem>\n"
)


NETWORK = """<?xml version="1.0" encoding="UTF-8"?>
<esdl:EnergySystem xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xmlns:esdl="http://www.tno.nl/esdl" id="es1" name="{name}">
  <energySystemInformation xsi:type="esdl:EnergySystemInformation" id="esi">
  <carriers xsi:type="esdl:Carriers" id="cs">
  <carrier xsi:type="esdl:HeatCommodity" id="supply" name="Supply" supplyTemperature="80.0"/>
  <carrier xsi:type="esdl:HeatCommodity" id="return" name="Return" returnTemperature="40.0"/>
  </carriers>
  </energySystemInformation>
  <instance xsi:type="esdl:Instance" id="i1" name="I">
  <area xsi:type="esdl:Area" id="a1" name="A">
  <asset xsi:type="esdl:GenericProducer" id="source" name="Source" power="1000000.0">
    <port xsi:type="esdl:InPort" id="source-in" name="In" carrier="return" connectedTo="pr-out"/>
    <port xsi:type="esdl:OutPort" id="source-out" name="Out" carrier="supply" connectedTo="ps-in"/>
  </asset>
  <asset xsi:type="esdl:Pipe" id="ps" name="Supply pipe" length="100.0" innerDiameter="0.1">
    <port xsi:type="esdl:InPort" id="ps-in" name="In" carrier="supply" connectedTo="source-out"/>
    <port xsi:type="esdl:OutPort" id="ps-out" name="Out" carrier="supply" connectedTo="house-in"/>
  </asset>
  <asset xsi:type="esdl:HeatingDemand" id="house" name="House" power="500000.0">
    <port xsi:type="esdl:InPort" id="house-in" name="In" carrier="supply" connectedTo="ps-out">
      {profile}
    </port>
    <port xsi:type="esdl:OutPort" id="house-out" name="Out" carrier="return" connectedTo="pr-in"/>
  </asset>
  <asset xsi:type="esdl:Pipe" id="pr" name="Return pipe" length="100.0" innerDiameter="0.1">
    <port xsi:type="esdl:InPort" id="pr-in" name="In" carrier="return" connectedTo="house-out"/>
    <port xsi:type="esdl:OutPort" id="pr-out" name="Out" carrier="return" connectedTo="source-in"/>
  </asset>
  </area>
  </instance>
</esdl:EnergySystem>
"""
PROFILE = (
    '<profile xsi:type="esdl:InfluxDBProfile" id="house-profile" name="Demand" '
    'host="profiles.example.org" port="443" database="energy_profiles" measurement="demand" '
    'field="house" startDate="2019-01-01T00:00:00.000000+0000" '
    'endDate="2019-01-08T00:00:00.000000+0000"/>'
)


def network(name: str = "Small network", profile: str = PROFILE) -> str:
    """A small valid heat network (source, supply pipe, house, return pipe) as ESDL text; a
    test breaks one rule by replacing a piece of it. ``profile``: the house's input profile
    ("" for none)."""
    return NETWORK.format(name=name, profile=profile)


def model_text(name: str) -> str:
    return corpus_path(f"{name}.esdl").read_text(encoding="utf-8")


def minimal_esdl(body: str = "", prolog: str = "") -> bytes:
    text = MINIMAL.format(body=body)
    if prolog:
        head, rest = text.split("\n", 1)
        text = f"{head}\n{prolog}\n{rest}"
    return text.encode("utf-8")


@contextmanager
def no_io() -> Iterator[list[str]]:
    """Record (and fail) any file open or outgoing connection inside the block.

    Calls are recorded, not only refused, because the intake turns every exception into
    EsdlRejected: a refused open would otherwise look like a correct rejection.
    """
    EsdlDocument.from_upload(minimal_esdl())  # warm up lazy imports before guarding
    calls: list[str] = []

    def guard(kind: str) -> Callable[..., None]:
        def refuse(*args: object, **kwargs: object) -> None:
            calls.append(f"{kind}{args[:2]!r}")
            raise AssertionError(f"unexpected {kind} during ESDL intake: {args[:2]!r}")

        return refuse

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(builtins, "open", guard("open"))
        mp.setattr(io, "open", guard("io.open"))
        mp.setattr(socket.socket, "connect", guard("connect"))
        mp.setattr(socket, "create_connection", guard("create_connection"))
        mp.setattr(urllib.request, "urlopen", guard("urlopen"))
        yield calls
