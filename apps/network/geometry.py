"""The network of an ESDL model as the map draws it: assets, where they are, what they connect.

An asset's place comes from its ESDL geometry (``esdl:Point`` for most assets, ``esdl:Line`` for
pipes, the centre of an ``esdl:Polygon``). ESDL names the coordinate system in ``CRS``; the map
takes WGS84 latitude/longitude only (``WGS84``, ``EPSG:4326``, or no CRS, which is how most
ESDL files leave it). A geometry in another system, out of range, or at 0,0 (pyecore reads an
unset coordinate as 0.0) counts as missing. When no asset has a usable geometry the whole network
gets a schematic layout from its connections (:mod:`apps.network.layout`); when some have, the
others are placed from their neighbours (a joint between its pipes, a pipe between its ends) or
left out with a note.

Everything here is pure Python on a parsed :class:`apps.models.esdl_document.EsdlDocument`: no
Django, no database, no network. The result is JSON (GeoJSON for a geographic network).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from esdl import esdl

from apps.models.esdl_attributes import ATTRIBUTE_UNITS, NUMERIC_TYPES
from apps.network.layout import schematic_positions
from omotes.asset_roles import is_heat_producer_asset
from omotes.results import port_field_names

#: ESDL CRS names that mean WGS84 latitude/longitude (compared upper-case, spaces removed).
WGS84_NAMES = frozenset({"", "WGS84", "WGS-84", "EPSG:4326", "EPSG4326", "CRS84", "OGC:CRS84"})

#: Symbol group of each kind of asset (the legend and the table use the same words).
CATEGORIES = ("producer", "consumer", "storage", "conversion", "joint", "pipe", "other")

#: The attributes that sum an asset up in the asset table, in this order (when set).
KEY_ATTRIBUTES = ("power", "diameter", "length", "innerDiameter", "volume", "capacity", "COP")
#: Enumerations shown as properties beside the numbers.
_SHOWN_ENUMS = frozenset({"diameter", "state", "type"})


def is_wgs84(crs: str | None) -> bool:
    """Whether an ESDL ``CRS`` value names WGS84 latitude/longitude (or names none)."""
    return (crs or "").upper().replace(" ", "") in WGS84_NAMES


def _lon_lat(point: Any, crs: str | None) -> tuple[float, float] | None:
    """``(lon, lat)`` of an ``esdl:Point`` in WGS84, or None when it is not usable."""
    own = point.CRS if point.eIsSet("CRS") else crs
    if not is_wgs84(own):
        return None
    try:
        lat, lon = float(point.lat), float(point.lon)
    except (TypeError, ValueError):
        return None
    if not (math.isfinite(lat) and math.isfinite(lon)) or (lat == 0.0 and lon == 0.0):
        return None
    if not (-90.0 <= lat <= 90.0 and -180.0 <= lon <= 180.0):
        return None
    return (round(lon, 8), round(lat, 8))


def geometry_of(asset: Any) -> tuple[str, list[tuple[float, float]]] | None:
    """``("Point", [(lon, lat)])`` or ``("LineString", [...])`` from an asset's ESDL geometry,
    or None when it has none the map can use."""
    geometry = asset.geometry
    if isinstance(geometry, esdl.Point):
        place = _lon_lat(geometry, None)
        return ("Point", [place]) if place else None
    if isinstance(geometry, esdl.Line):
        points = [_lon_lat(p, geometry.CRS) for p in geometry.point]
        if len(points) < 2 or any(p is None for p in points):
            return None
        return ("LineString", points)
    if isinstance(geometry, esdl.Polygon) and geometry.exterior is not None:
        ring = [_lon_lat(p, geometry.CRS) for p in geometry.exterior.point]
        if not ring or any(p is None for p in ring):
            return None
        return (
            "Point",
            [(sum(p[0] for p in ring) / len(ring), sum(p[1] for p in ring) / len(ring))],
        )
    return None


def category_of(asset: Any) -> str:
    """The symbol group of an asset: a heat producer by :mod:`omotes.asset_roles` (a gas heater
    or two-port heat pump is one, though ESDL files it under Conversion; a four-port heat pump
    stays a conversion), else its place in the ESDL class tree."""
    if isinstance(asset, esdl.Pipe):
        return "pipe"
    if isinstance(asset, esdl.Joint):
        return "joint"
    if isinstance(asset, esdl.Producer) or is_heat_producer_asset(asset):
        return "producer"
    if isinstance(asset, esdl.Consumer):
        return "consumer"
    if isinstance(asset, esdl.Storage):
        return "storage"
    if isinstance(asset, esdl.Conversion | esdl.HeatExchange):
        return "conversion"
    return "other"


@cache
def _shown_features(eclass: Any) -> tuple[tuple[str, str], ...]:
    """(name, type name) of a class's single-valued attributes that may be shown: asked once
    per ESDL class, as pyecore walks the whole class tree for each question."""
    return tuple(
        (feature.name, getattr(feature.eType, "name", ""))
        for feature in eclass.eAllStructuralFeatures()
        if not getattr(feature, "many", False)
        and (getattr(feature.eType, "name", "") in NUMERIC_TYPES or feature.name in _SHOWN_ENUMS)
    )


def attributes_of(asset: Any) -> list[dict[str, Any]]:
    """The set numbers and a few enumerations of an asset, with their units: key ones first."""
    found: dict[str, dict[str, Any]] = {}
    for name, type_name in _shown_features(asset.eClass):
        if not asset.eIsSet(name):
            continue
        value = asset.eGet(name)
        if type_name in NUMERIC_TYPES and isinstance(value, int | float) and math.isfinite(value):
            found[name] = {"name": name, "value": value, "unit": ATTRIBUTE_UNITS.get(name, "")}
        elif name in _SHOWN_ENUMS and hasattr(value, "name"):
            if value.name not in ("VALUE_SPECIFIED", "UNDEFINED"):
                found[name] = {"name": name, "value": value.name, "unit": ""}
    key = [found.pop(name) for name in KEY_ATTRIBUTES if name in found]
    return key + sorted(found.values(), key=lambda a: a["name"])


def nominal_size_mm(asset: Any) -> int | None:
    """A pipe's DN in mm: its ``diameter`` (``DN200``), else its inner diameter in mm."""
    diameter = asset.diameter if asset.eIsSet("diameter") else None
    if diameter is not None and diameter.name.startswith("DN"):
        return int(diameter.name[2:])
    inner = float(asset.innerDiameter or 0.0)
    return round(inner * 1000) if inner > 0 else None


@dataclass
class Node:
    """One asset of the network as the map needs it."""

    asset_id: str
    name: str
    kind: str  # ESDL class name
    category: str
    attributes: list[dict[str, Any]]
    geometry: tuple[str, list[tuple[float, float]]] | None
    ports: dict[str, str] = field(default_factory=dict)  # "in"/"out" -> field prefix of results
    dn: int | None = None
    # Connected assets, by the side of this asset they connect to ("in" or "out").
    neighbours: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def network_nodes(assets: list[Any]) -> dict[str, Node]:
    """Map nodes of the given network assets (``EsdlDocument.assets()``), ids in ESDL order."""
    nodes: dict[str, Node] = {}
    owner_of_port: dict[str, str] = {}
    for asset in assets:
        if not asset.id or asset.id in nodes:
            continue
        prefixes = port_field_names(asset)
        ports: dict[str, str] = {}
        for port in asset.port:
            side = "in" if isinstance(port, esdl.InPort) else "out"
            ports.setdefault(side, prefixes[port.id])
            owner_of_port[port.id] = asset.id
        nodes[asset.id] = Node(
            asset_id=str(asset.id),
            name=str(asset.name or ""),
            kind=asset.eClass.name,
            category=category_of(asset),
            attributes=attributes_of(asset),
            geometry=geometry_of(asset),
            ports=ports,
            dn=nominal_size_mm(asset) if isinstance(asset, esdl.Pipe) else None,
        )
    for asset in assets:
        node = nodes.get(asset.id)
        if node is None:
            continue
        for port in asset.port:
            side = "in" if isinstance(port, esdl.InPort) else "out"
            for other in port.connectedTo:
                other_id = owner_of_port.get(other.id)
                if other_id and other_id != node.asset_id:
                    if other_id not in node.neighbours[side]:
                        node.neighbours[side].append(other_id)
    return nodes


def _feature(node: Node, kind: str, coordinates: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "id": node.asset_id,
        "geometry": {"type": kind, "coordinates": coordinates},
        "properties": {
            "asset_id": node.asset_id,
            "name": node.name,
            "type": node.kind,
            "category": node.category,
            "dn": node.dn,
            "attributes": node.attributes,
            "ports": node.ports,
        },
    }


def _geographic(nodes: dict[str, Node]) -> tuple[list[dict], list[str]]:
    """Features from the assets' own geometry; the others placed from their neighbours."""
    points: dict[str, tuple[float, float]] = {}
    lines: dict[str, list[tuple[float, float]]] = {}
    for node in nodes.values():
        if node.geometry is None:
            continue
        kind, coordinates = node.geometry
        if kind == "LineString":
            lines[node.asset_id] = coordinates
        else:
            points[node.asset_id] = coordinates[0]

    def ends(node: Node) -> list[tuple[float, float]]:
        found = []
        for side in ("in", "out"):
            for other in node.neighbours.get(side, []):
                if other in points:
                    found.append(points[other])
                    break
                if other in lines:  # a pipe's outlet feeds our inlet: its last point, and so on
                    found.append(lines[other][-1 if side == "in" else 0])
                    break
        return found

    # Two passes: a joint between pipes that have lines, then a pipe between placed joints.
    for _ in range(2):
        for node in nodes.values():
            if node.asset_id in points or node.asset_id in lines:
                continue
            near = ends(node)
            if node.category == "pipe" and len(near) == 2:
                lines[node.asset_id] = near
            elif node.category != "pipe" and near:
                points[node.asset_id] = (
                    sum(p[0] for p in near) / len(near),
                    sum(p[1] for p in near) / len(near),
                )
    features, missing = [], []
    for node in nodes.values():
        if node.asset_id in lines:
            features.append(_feature(node, "LineString", [list(p) for p in lines[node.asset_id]]))
        elif node.asset_id in points:
            features.append(_feature(node, "Point", list(points[node.asset_id])))
        else:
            missing.append(node.name or node.asset_id)
    return features, missing


def _schematic(nodes: dict[str, Node]) -> list[dict]:
    """Features on a schematic layout: non-pipe assets as laid-out points; a pipe between two
    of them as a line (bowed apart where several pipes join the same two assets, as supply and
    return pipes do), any other pipe as a point of its own."""
    contracted: dict[str, tuple[str, str]] = {}
    for node in nodes.values():
        if node.category != "pipe":
            continue
        start = [n for n in node.neighbours.get("in", []) if nodes[n].category != "pipe"]
        end = [n for n in node.neighbours.get("out", []) if nodes[n].category != "pipe"]
        if len(start) == 1 and len(end) == 1 and len(node.neighbours.get("in", [])) == 1:
            if len(node.neighbours.get("out", [])) == 1 and start[0] != end[0]:
                contracted[node.asset_id] = (start[0], end[0])
    placed = [asset_id for asset_id in nodes if asset_id not in contracted]
    edges = set()
    for asset_id in placed:
        for side in ("in", "out"):
            for other in nodes[asset_id].neighbours.get(side, []):
                if other not in contracted:
                    edges.add(tuple(sorted((asset_id, other))))
    edges.update(tuple(sorted(pair)) for pair in contracted.values())
    positions = schematic_positions(placed, sorted(edges))

    parallel: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pipe_id, pair in contracted.items():
        parallel[tuple(sorted(pair))].append(pipe_id)
    features = []
    for node in nodes.values():
        if node.asset_id in contracted:
            a, b = contracted[node.asset_id]
            siblings = parallel[tuple(sorted((a, b)))]
            features.append(
                _feature(node, "LineString", _bowed(positions[a], positions[b], siblings, node))
            )
        else:
            features.append(_feature(node, "Point", list(positions[node.asset_id])))
    return features


def _bowed(a, b, siblings: list[str], node: Node) -> list[list[float]]:
    """A straight line from a to b, or one bent at its middle when other pipes join the same
    two assets, so each stays visible and clickable."""
    if len(siblings) == 1:
        return [list(a), list(b)]
    index = siblings.index(node.asset_id)
    offset = (index - (len(siblings) - 1) / 2) * 12.0
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    # Perpendicular to the pair's own direction, taken from the lower id to the higher, so
    # that a supply pipe (a -> b) and its return (b -> a) bend to opposite sides.
    sign = 1.0 if node.neighbours["in"][0] <= node.neighbours["out"][0] else -1.0
    mid = (
        (a[0] + b[0]) / 2 - sign * offset * dy / length,
        (a[1] + b[1]) / 2 + sign * offset * dx / length,
    )
    return [list(a), [round(mid[0], 3), round(mid[1], 3)], list(b)]


def network_geojson(assets: list[Any]) -> dict[str, Any]:
    """The network as a GeoJSON FeatureCollection (``layout: "geographic"``, lon/lat) or, for a
    model without usable geometry, schematic coordinates (``layout: "schematic"``, x/y in
    0..1000, y up) in the same shape. ``notes`` say what the map could not place."""
    nodes = network_nodes(assets)
    notes: list[str] = []
    other_crs = sum(
        1
        for asset in assets
        if asset.geometry is not None
        and asset.geometry.eClass.findEStructuralFeature("CRS") is not None
        and not is_wgs84(asset.geometry.CRS)
    )
    if other_crs:
        notes.append(
            f"{other_crs} asset(s) have a geometry in a coordinate system other than WGS84; "
            "the map uses WGS84 latitude/longitude only."
        )
    if any(node.geometry for node in nodes.values()):
        layout = "geographic"
        features, missing = _geographic(nodes)
        if missing:
            shown = ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")
            notes.append(f"{len(missing)} asset(s) have no location and are not drawn: {shown}")
    else:
        layout = "schematic"
        features = _schematic(nodes)
        if nodes:
            notes.append(
                "The model has no geographic locations: a schematic layout computed from its "
                "connections is shown."
            )
    return {
        "type": "FeatureCollection",
        "layout": layout,
        "features": features,
        "notes": notes,
        "asset_total": len(nodes),
    }
