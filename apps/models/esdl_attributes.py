"""What the product knows of the numbers in an ESDL model: which asset attributes hold one, the
units they are in, and an ESDL ``QuantityAndUnit`` as text. Pure Python, no Django."""

from __future__ import annotations

from typing import Any

from esdl import esdl
from esdl.units.parser import unit_to_string
from pyecore.ecore import EAttribute

#: ESDL attribute types that hold a number a variation may change.
NUMERIC_TYPES = frozenset({"EDouble", "EFloat", "EInt", "ELong"})

#: Units of ESDL asset attributes as the ESDL documentation states them (SI; temperatures in
#: °C, not K), for showing a model's numbers: a variation's changes, the network map's assets.
ATTRIBUTE_UNITS: dict[str, str] = {
    "power": "W",
    "length": "m",
    "innerDiameter": "m",
    "outerDiameter": "m",
    "roughness": "m",
    "COP": "-",
    "efficiency": "-",
    "heatEfficiency": "-",
    "volume": "m3",
    "capacity": "J",
    "maxChargeRate": "W",
    "maxDischargeRate": "W",
    "minTemperature": "°C",
    "maxTemperature": "°C",
    "area": "m2",
    "surfaceArea": "m2",
    "fillLevel": "-",
    "aggregationCount": "-",
}


def numeric_attributes(asset: Any) -> list[EAttribute]:
    """The attributes of an asset's class that hold a number (set or not)."""
    return [
        feature
        for feature in asset.eClass.eAllStructuralFeatures()
        if isinstance(feature, EAttribute) and feature.eType.name in NUMERIC_TYPES
    ]


def quantity_unit(qau: Any) -> str:
    """An ESDL QuantityAndUnit (or a reference to one) as text, e.g. "MW"; "" without one."""
    if isinstance(qau, esdl.QuantityAndUnitReference):
        qau = qau.reference
    if qau is None:
        return ""
    try:
        return str(unit_to_string(qau))
    except Exception:  # unknown enum literal in an exotic unit: show what we can
        return str(getattr(qau, "unit", ""))
