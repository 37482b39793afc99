"""The network the map draws, from ESDL geometry or, without it, from the connections."""

from __future__ import annotations

import math

import pytest
from esdl import esdl

from apps.models.esdl_document import EsdlDocument
from apps.network.geometry import is_wgs84, network_geojson
from tests.corpus import corpus_bytes, generated_network
from tests.models import field_samples as samples

CORPUS = [
    "test1.esdl",
    "2sources.esdl",
    "test_2_sources.esdl",
    "Simple_heat_exchange.esdl",
    "test_buffer.esdl",
    "heat_pump_bypass.esdl",
    "test_ates.esdl",
    "cluster1merged_pipes.esdl",
]


def assets_of(text: str | bytes) -> list:
    if isinstance(text, bytes):
        text = text.decode()
    return list(EsdlDocument(text).assets())


def by_id(network: dict) -> dict[str, dict]:
    return {f["properties"]["asset_id"]: f for f in network["features"]}


def test_generated_network_is_drawn_from_its_geometry_with_symbols_and_pipe_sizes():
    assets = assets_of(generated_network(10))
    network = network_geojson(assets)
    assert network["type"] == "FeatureCollection"
    assert network["layout"] == "geographic"
    assert network["notes"] == []
    features = by_id(network)
    assert len(features) == len(assets) == 10
    for asset in assets:
        feature = features[asset.id]
        kind = feature["geometry"]["type"]
        if isinstance(asset, esdl.Pipe):
            assert kind == "LineString"
            assert feature["properties"]["dn"] == int(asset.diameter.name[2:])
            first = asset.geometry.point[0]
            assert feature["geometry"]["coordinates"][0] == pytest.approx([first.lon, first.lat])
        else:
            assert kind == "Point"
            assert feature["geometry"]["coordinates"] == pytest.approx(
                [asset.geometry.lon, asset.geometry.lat]
            )
    categories = {f["properties"]["category"] for f in network["features"]}
    assert {"producer", "consumer", "joint", "pipe"} <= categories


def test_key_attributes_come_first_with_their_units():
    assets = assets_of(generated_network(10))
    demand = next(a for a in assets if isinstance(a, esdl.HeatingDemand))
    pipe = next(a for a in assets if isinstance(a, esdl.Pipe))
    features = by_id(network_geojson(assets))
    demand_attributes = features[demand.id]["properties"]["attributes"]
    assert demand_attributes[0] == {"name": "power", "value": demand.power, "unit": "W"}
    names = [a["name"] for a in features[pipe.id]["properties"]["attributes"]]
    assert names[:3] == ["diameter", "length", "innerDiameter"]
    length = next(a for a in features[pipe.id]["properties"]["attributes"] if a["name"] == "length")
    assert length == {"name": "length", "value": pipe.length, "unit": "m"}


@pytest.mark.parametrize("crs", ["WGS84", "EPSG:4326", "", None, "wgs84"])
def test_wgs84_names_are_taken(crs):
    assert is_wgs84(crs)


def test_a_geometry_in_another_coordinate_system_is_not_placed_as_if_it_were_lat_lon():
    assets = assets_of(generated_network(10))
    demand = next(a for a in assets if isinstance(a, esdl.HeatingDemand))
    demand.geometry = esdl.Point(lat=455000.0, lon=155000.0, CRS="EPSG:28992")
    network = network_geojson(assets)
    assert network["layout"] == "geographic"
    assert any("other than WGS84" in note for note in network["notes"])
    # Placed from its neighbours instead: near the rest of the network, not at 455000 degrees.
    lon, lat = by_id(network)[demand.id]["geometry"]["coordinates"]
    assert -180 <= lon <= 180 and -90 <= lat <= 90


def test_assets_without_geometry_are_placed_between_their_neighbours():
    assets = assets_of(generated_network(10))
    joints = [a for a in assets if isinstance(a, esdl.Joint)]
    assert joints
    for joint in joints:
        joint.geometry = None
    features = by_id(network_geojson(assets))
    assert len(features) == 10
    for joint in joints:
        assert features[joint.id]["geometry"]["type"] == "Point"


def test_an_unset_point_at_zero_zero_counts_as_missing():
    assets = assets_of(generated_network(10))
    for asset in assets:
        asset.geometry = esdl.Point(lat=0.0, lon=0.0) if not isinstance(asset, esdl.Pipe) else None
    assert network_geojson(assets)["layout"] == "schematic"


def drop_geometry(assets: list) -> list:
    for asset in assets:
        asset.geometry = None
    return assets


@pytest.mark.parametrize("size", [6, 10, 100, 1000])
def test_without_geometry_a_readable_schematic_is_laid_out_from_the_connections(size):
    assets = drop_geometry(assets_of(generated_network(size)))
    network = network_geojson(assets)
    assert network["layout"] == "schematic"
    assert "schematic layout" in network["notes"][0]
    features = by_id(network)
    assert len(features) == size
    points = {}
    for feature in network["features"]:
        coordinates = feature["geometry"]["coordinates"]
        flat = coordinates if feature["geometry"]["type"] == "Point" else coordinates[0]
        assert all(0 <= c <= 1000 for c in flat)
        if feature["geometry"]["type"] == "Point":
            points[feature["id"]] = coordinates
    # Readable: no two assets on top of each other (at 1,000 px for the whole box, at least
    # about a pixel apart even for 1,000 assets).
    placed = list(points.values())
    closest = min(
        (math.dist(a, b) for i, a in enumerate(placed) for b in placed[i + 1 :]), default=10.0
    )
    assert closest > 0.5
    # Each pipe drawn between two laid-out assets starts and ends on them.
    for asset in assets:
        if not isinstance(asset, esdl.Pipe):
            continue
        line = features[asset.id]["geometry"]
        if line["type"] == "LineString":
            start = asset.port[0].connectedTo[0].eContainer().id
            end = asset.port[1].connectedTo[0].eContainer().id
            assert {tuple(line["coordinates"][0]), tuple(line["coordinates"][-1])} == {
                tuple(points[start]),
                tuple(points[end]),
            }


def test_the_schematic_is_the_same_at_every_visit():
    first = network_geojson(drop_geometry(assets_of(generated_network(100))))
    again = network_geojson(drop_geometry(assets_of(generated_network(100))))
    assert first == again


@pytest.mark.parametrize("name", CORPUS)
def test_real_models_are_drawn_from_their_geometry(name):
    assets = assets_of(corpus_bytes(name))
    network = network_geojson(assets)
    assert network["layout"] == "geographic"
    assert len(network["features"]) == len(assets) == network["asset_total"]
    for feature in network["features"]:
        lon, lat = (
            feature["geometry"]["coordinates"]
            if feature["geometry"]["type"] == "Point"
            else feature["geometry"]["coordinates"][0]
        )
        assert 3 < lon < 8 and 50 < lat < 54  # the Netherlands


def test_supply_and_return_pipes_between_the_same_assets_stay_apart_in_a_schematic():
    assets = drop_geometry(assets_of(corpus_bytes("test1.esdl")))
    features = by_id(network_geojson(assets))
    supply, ret = features["Pipe1"]["geometry"], features["Pipe1_ret"]["geometry"]
    assert supply["type"] == ret["type"] == "LineString"
    assert {tuple(supply["coordinates"][0]), tuple(supply["coordinates"][-1])} == {
        tuple(ret["coordinates"][0]),
        tuple(ret["coordinates"][-1]),
    }
    assert math.dist(supply["coordinates"][1], ret["coordinates"][1]) > 10


def category_of_producer(text: str) -> str:
    features = network_geojson(assets_of(text))["features"]
    [producer] = [f for f in features if f["properties"]["asset_id"] == samples.PRODUCER_ID]
    return producer["properties"]["category"]


def test_a_two_port_heat_pump_is_drawn_as_a_producer_and_a_four_port_one_as_a_conversion():
    assert category_of_producer(samples.heat_pump_producer(2)) == "producer"
    assert category_of_producer(samples.heat_pump_producer(4)) == "conversion"


def test_a_gas_heater_is_drawn_as_a_producer_though_esdl_files_it_under_conversion():
    text = samples.base().replace(
        f'"esdl:GenericProducer" id="{samples.PRODUCER_ID}"',
        f'"esdl:GasHeater" id="{samples.PRODUCER_ID}"',
    )
    assert "esdl:GasHeater" in text

    assert category_of_producer(text) == "producer"
