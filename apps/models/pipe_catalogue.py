"""The pipe catalogue, and which entry an ESDL pipe that names only a size (DN-only pipe) means.

The simulator (omotes-simulator-core) fetches a pipe from the Energy Data Repository when the
pipe's ``innerDiameter`` is 0/unset and ``diameter`` names a DN size (``EsdlAssetPipeMapper``);
:meth:`apps.models.esdl_document.EsdlDocument.resolve_pipe_sizes` fills such pipes from this
catalogue so it never does. Everything here is pure Python: no Django, no database, no network.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

import defusedxml.ElementTree as DefusedET
from esdl import esdl

from apps.models.esdl_intake import edr_name

_EDR_NAME = re.compile(r"^Steel-(S\d)-DN-(\d{1,4})$")
_DEFAULT_SERIES = "S1"
_DATA_DIR = Path(__file__).resolve().parent / "data"
DEFAULT_CATALOGUE_PATH = _DATA_DIR / "pipe_catalogue.json"


class PipeLayer(NamedTuple):
    """One layer around the pipe's inner wall, innermost first (steel, PUR, HDPE casing)."""

    thickness_m: float
    conductivity_w_per_mk: float
    material: str


@dataclass(frozen=True)
class PipeSpec:
    """A standard pre-insulated pipe, e.g. Steel-S1-DN-200 (Logstor catalogue via the EDR)."""

    name: str
    dn: int
    series: str
    inner_diameter_m: float
    outer_diameter_m: float
    layers: list[PipeLayer]
    investment_cost_eur_per_m: float

    def to_dict(self) -> dict[str, Any]:
        """The compact catalogue format of ``data/pipe_catalogue.json``."""
        return {
            "name": self.name,
            "dn": self.dn,
            "series": self.series,
            "inner_diameter_m": self.inner_diameter_m,
            "outer_diameter_m": self.outer_diameter_m,
            "layers": [list(layer) for layer in self.layers],
            "investment_cost_eur_per_m": self.investment_cost_eur_per_m,
        }

    @classmethod
    def from_dict(cls, entry: Mapping[str, Any]) -> PipeSpec:
        """Read one entry of the compact catalogue format."""
        return cls(
            name=str(entry["name"]),
            dn=int(entry["dn"]),
            series=str(entry["series"]),
            inner_diameter_m=float(entry["inner_diameter_m"]),
            outer_diameter_m=float(entry["outer_diameter_m"]),
            layers=[PipeLayer(float(t), float(k), str(m)) for t, k, m in entry.get("layers", [])],
            investment_cost_eur_per_m=float(entry["investment_cost_eur_per_m"]),
        )

    def compound_matter(self) -> Any:
        """The layers as ``esdl:CompoundMatter`` (LAYERED, innermost first), as in the EDR."""
        components = [
            esdl.CompoundMatterComponent(
                layerWidth=layer.thickness_m,
                matter=esdl.Material(
                    id=str(uuid.uuid4()),
                    name=layer.material,
                    thermalConductivity=layer.conductivity_w_per_mk,
                ),
            )
            for layer in self.layers
        ]
        return esdl.CompoundMatter(compoundType=esdl.CompoundTypeEnum.LAYERED, component=components)


def _edr_entry_to_spec(name: str, entry: Mapping[str, Any]) -> PipeSpec:
    match = _EDR_NAME.match(name)
    if not match:
        raise ValueError(f"Unexpected EDR pipe name {name!r}")
    series, dn = match.group(1), int(match.group(2))
    thicknesses = [float(t) for t in entry["insulation_thicknesses"]]
    conductivities = [float(k) for k in entry["conductivies_insulation"]]  # sic, EDR spelling
    outer = 0.0
    materials: list[str] = []
    xml_string = entry.get("xml_string")
    if xml_string:
        pipe = DefusedET.fromstring(xml_string.encode("utf-8"))
        outer = float(pipe.get("outerDiameter") or 0.0)
        for component in pipe.iter("component"):
            matter = component.find("matter")
            materials.append(matter.get("name", "") if matter is not None else "")
    if len(materials) != len(thicknesses):
        materials = [f"layer {i + 1}" for i in range(len(thicknesses))]
    if not outer:  # fall back to inner diameter plus all layers on both sides
        outer = float(entry["inner_diameter"]) + 2 * sum(thicknesses)
    return PipeSpec(
        name=name,
        dn=dn,
        series=series,
        inner_diameter_m=float(entry["inner_diameter"]),
        outer_diameter_m=outer,
        layers=[
            PipeLayer(t, k, m)
            for t, k, m in zip(thicknesses, conductivities, materials, strict=True)
        ],
        investment_cost_eur_per_m=float(entry.get("investment_costs", 0.0)),
    )


def load_edr_pipes(json_text: str) -> list[PipeSpec]:
    """Parse the EDR extract format (``edr_pipes.json``: name -> entry with ``xml_string``)."""
    data = json.loads(json_text)
    if not isinstance(data, dict):
        raise ValueError("EDR pipe file must map pipe names to entries")
    specs = [_edr_entry_to_spec(name, entry) for name, entry in data.items()]
    return sorted(specs, key=lambda s: (s.series, s.dn))


def load_catalogue_file(path: str | Path) -> list[PipeSpec]:
    """Read a pipe catalogue in either format: the EDR extract (dict) or our compact list.

    A sysadmin can point this at an updated catalogue without code changes.
    """
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text)
    if isinstance(data, dict):
        return load_edr_pipes(text)
    if isinstance(data, list):
        return [PipeSpec.from_dict(entry) for entry in data]
    raise ValueError(f"{path}: not a pipe catalogue")


@lru_cache(maxsize=1)
def default_catalogue() -> Mapping[str, PipeSpec]:
    """The shipped catalogue (``data/pipe_catalogue.json``), keyed by EDR name."""
    return {spec.name: spec for spec in load_catalogue_file(DEFAULT_CATALOGUE_PATH)}


def catalogue_name(pipe: Any, edr_paths: list[str]) -> str | None:
    """The catalogue entry an ESDL pipe names: its EDR path's file name, else ``DN<size>`` as S1;
    None when the pipe states its ``innerDiameter`` (the simulator uses it and never fetches).

    A bare ``diameter="DN200"`` has no series; the simulator assumes S1 (the thinnest
    insulation) when it fetches such a pipe, and so do we.
    """
    for path in edr_paths:
        name = edr_name(path)
        if name:
            return name
    if pipe.innerDiameter:
        return None
    diameter = pipe.diameter
    if diameter is None or diameter.name == "VALUE_SPECIFIED":
        return None
    return f"Steel-{_DEFAULT_SERIES}-DN-{diameter.name[2:]}"


def describe_size(name: str) -> str:
    """``Steel-S1-DN-6`` -> ``DN6 (Steel-S1-DN-6)``: the user wrote the DN size."""
    match = _EDR_NAME.match(name)
    return f"DN{match.group(2)} ({name})" if match else name
