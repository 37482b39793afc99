"""Small models with the traits of ESDL files from the field, made from the generated network.

Each function returns the generated 6-asset network (seed 0: fixed ids) changed in one way a
real model from another tool or an older version differs, so the tests need no third-party file.
"""

from __future__ import annotations

from tests.corpus import generated_network

DEMAND = "HeatingDemand_0001"
DEMAND_ID = "eb2083e6-ce16-4dba-8ff1-8e0242af9fc3"
PRODUCER_ID = "d3fbf47a-7e5b-4e7f-9ca5-499d004ae545"
SUPPLY_PIPE = "Pipe_production_supply_0001"
SUPPLY_PIPE_ID = "38c1962e-9148-424f-aac1-c14f30e9c5cc"
_SUPPLY_PIPE_OUT = (
    '<port xsi:type="esdl:OutPort" id="1759edc3-72ae-4244-8b01-63c1cd9d2b7d" name="Out" '
    'carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613" '
    'connectedTo="5487ce1e-af19-422a-99b8-a714e61a441c"/>'
)
_AREA_OPEN = '<area xsi:type="esdl:Area" id="eb1167b3-67a9-4378-bc65-c1e582e2e662" name="Network">'


def base() -> str:
    return generated_network(6).decode()


def _changed(text: str, old: str, new: str) -> str:
    assert old in text, f"the generated network changed: {old[:80]!r} not found"
    return text.replace(old, new, 1)


def unnamed_demand() -> bytes:
    """The heating demand (which has an input profile) has no name: ESDL allows that."""
    return _changed(base(), f' name="{DEMAND}"', "").encode()


def undated_profile() -> bytes:
    """The demand's input profile has neither startDate nor endDate (older models)."""
    text = _changed(base(), ' startDate="2019-01-01T00:00:00.000000+0000"', "")
    return _changed(text, ' endDate="2019-12-31T23:00:00.000000+0000"', "").encode()


def output_of_another_system() -> bytes:
    """An output ESDL of another OMOTES system: result profiles (naive dates, a two-hour run,
    that system's InfluxDB) on a pipe port and on the demand, and KPIs in the area."""
    result = (
        '<profile xsi:type="esdl:InfluxDBProfile" id="{id}" host="localhost" port="8096" '
        'database="e4313d43-49d3-4ddd-a0ac-58afcbe7ddd4" measurement="{measurement}" '
        'field="{field}" startDate="2019-01-01T00:00:00.000000" '
        'endDate="2019-01-01T02:00:00.000000"/>'
    )
    text = _changed(
        base(),
        _SUPPLY_PIPE_OUT,
        _SUPPLY_PIPE_OUT[:-2]
        + ">"
        + result.format(id="result-pipe", measurement="pipe_ret", field="mass_flow")
        + "</port>",
    )
    text = _changed(
        text,
        "</profile>\n        </port>",
        "</profile>\n"
        + result.format(id="result-demand", measurement="demand", field="In.heat_demand")
        + "\n        </port>",
    )
    kpis = (
        '<KPIs xsi:type="esdl:KPIs" id="kpis-1">'
        '<kpi xsi:type="esdl:DoubleKPI" id="kpi-1" name="Levelised cost of heat" value="42.5"/>'
        '<kpi xsi:type="esdl:StringKPI" id="kpi-2" name="Strategy" value="all electric"/>'
        "</KPIs>"
    )
    return _changed(text, _AREA_OPEN, _AREA_OPEN + kpis).encode()


def dn_only_pipe(size: str, catalogue: str = "") -> bytes:
    """The supply pipe names only its DN ``size``; ``catalogue`` ("measures" or "templates")
    adds a pipe catalogue to the model: DN15 with its diameters (not in ours), DN20 with a DN
    only (as the optimiser's examples do)."""
    text = _changed(
        base(),
        'innerDiameter="0.0545" length="300.0" roughness="5e-05" diameter="DN50"',
        f'length="300.0" roughness="5e-05" diameter="{size}"',
    )
    if not catalogue:
        return text.encode()
    pipes = [
        '<asset xsi:type="esdl:Pipe" id="cat-dn15" name="DN15 pipe" diameter="DN15" '
        'innerDiameter="0.0161" outerDiameter="0.09"/>',
        '<asset xsi:type="esdl:Pipe" id="cat-dn20" name="DN20 pipe" diameter="DN20"/>',
    ]
    if catalogue == "measures":
        entries = "".join(
            f'<measure xsi:type="esdl:Measure" id="m{i}" name="Pipe {i}">{pipe}</measure>'
            for i, pipe in enumerate(pipes)
        )
        block = f'<measures xsi:type="esdl:Measures" id="catalogue">{entries}</measures>'
    else:
        entries = "".join(
            f'<assetTemplate xsi:type="esdl:AssetTemplate" id="t{i}" name="Pipe {i}">{pipe}'
            "</assetTemplate>"
            for i, pipe in enumerate(pipes)
        )
        block = f'<templates xsi:type="esdl:Templates" id="catalogue">{entries}</templates>'
    return _changed(text, "</instance>", "</instance>\n  " + block).encode()


def loose_producer_port() -> bytes:
    """The producer's InPort is connected to nothing (both ends of the connection removed)."""
    text = _changed(base(), ' connectedTo="4a84eb03-8d1f-49b7-8d2b-9deb1beb3711"', "")
    return _changed(text, ' connectedTo="baf3897a-3e70-416a-9548-5822de1b372a"', "").encode()


def electricity_cable() -> bytes:
    """A model with an asset type the simulator cannot take (an electricity cable)."""
    cable = (
        '<asset xsi:type="esdl:ElectricityCable" id="cable-1" name="Cable_1" length="10.0">'
        '<port xsi:type="esdl:InPort" id="cable-in" name="In"/>'
        '<port xsi:type="esdl:OutPort" id="cable-out" name="Out"/></asset>'
    )
    return _changed(base(), _AREA_OPEN, _AREA_OPEN + cable).encode()


def old_version() -> bytes:
    """An ESDL of an older version: it states the version, and holds an element since gone."""
    text = _changed(base(), 'description="Generated heat network (seed 0)"', 'esdlVersion="v1911"')
    return _changed(
        text,
        '<geometry xsi:type="esdl:Point" CRS="WGS84" lat="52.0899586" lon="5.1200956"/>',
        '<buildingTypePercentage xsi:type="esdl:BuildingTypeBin" percentage="100.0"/>',
    ).encode()


#: The two ports a four-port heat pump has besides In and Out: its primary side, unconnected.
_PRIMARY_PORTS = (
    '<port xsi:type="esdl:InPort" id="hp-prim-in" name="PrimIn" '
    'carrier="23a7711a-8133-4876-b7eb-dcd9e87a1613"/>'
    '<port xsi:type="esdl:OutPort" id="hp-prim-out" name="PrimOut" '
    'carrier="1846d424-c17c-4279-a3c6-612f48268673"/>'
)


def producer_of_class(kind: str) -> str:
    """The one producer is of ESDL class ``kind`` (its id, name, power and ports kept)."""
    producer = f'<asset xsi:type="esdl:GenericProducer" id="{PRODUCER_ID}"'
    return _changed(base(), producer, producer.replace("GenericProducer", kind))


def heat_pump_producer(ports: int) -> str:
    """The producer is a heat pump: with two ports (air-to-water), or four (water-to-water: its
    In and Out become SecIn and SecOut, and its primary side, PrimIn and PrimOut, connects to
    nothing)."""
    producer = f'<asset xsi:type="esdl:GenericProducer" id="{PRODUCER_ID}"'
    text = _changed(base(), producer, producer.replace("GenericProducer", "HeatPump"))
    if ports == 4:
        anchor = 'name="GenericProducer_0001" power="518000.0">'
        text = _changed(text, anchor, anchor + _PRIMARY_PORTS)
        for port_id, side in (
            ("baf3897a-3e70-416a-9548-5822de1b372a", "In"),
            ("101fbccc-ded7-43e8-b421-eaeb534097ca", "Out"),
        ):
            text = _changed(
                text, f'id="{port_id}" name="{side}"', f'id="{port_id}" name="Sec{side}"'
            )
    return text
