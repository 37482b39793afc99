"""Which models the optimiser (mesido) can take: a pure check, importable without mesido.

The optimiser runs in a worker of its own venv, so a model it cannot take would otherwise fail
only after waiting in that worker's queue and loading mesido. The frontend calls
:func:`check_model` at submit (it imports this module, never :mod:`omotes.workflows.optimizer`)
and refuses the job with the reasons.
"""

from __future__ import annotations

import esdl

from omotes.asset_roles import HEAT_CONSUMER_CLASSES, is_heat_producer_asset

#: The workflows that run the optimiser on the job's model (alone or as their first step).
OPTIMIZER_WORKFLOWS = frozenset({"optimizer", "optimizer_no_heat_losses", "optimize_simulate"})
#: ESDL asset classes the end-scenario sizing handles in a heat network (mesido 0.1.22, its
#: heat-network component map). Anything else in a model is refused, by name.
SUPPORTED_ASSET_TYPES: frozenset[str] = frozenset(
    {
        "ATES",
        "CheckValve",
        "ElectricBoiler",
        "GasHeater",
        "GenericConsumer",
        "GenericProducer",
        "GeothermalSource",
        "HeatExchange",
        "HeatingDemand",
        "HeatProducer",
        "HeatPump",
        "HeatStorage",
        "Joint",
        "Pipe",
        "Pump",
        "ResidualHeatSource",
        "Sensor",
        "Valve",
    }
)
#: The heat demands mesido takes (its component map has no plain ``Consumer``).
DEMAND_TYPES = HEAT_CONSUMER_CLASSES & SUPPORTED_ASSET_TYPES
#: The nominal sizes mesido sizes an optional pipe in (its EDR steel series-1 catalogue), smallest
#: first. An optional pipe's own ``diameter`` is the largest it may get, so it must be one of
#: these; the optimiser gives it one from the first of these up to that (or none).
SIZED_PIPE_DNS: tuple[str, ...] = (
    *("DN20", "DN25", "DN32", "DN40", "DN50", "DN65", "DN80", "DN100", "DN125", "DN150"),
    *("DN200", "DN250", "DN300", "DN350", "DN400", "DN450", "DN500", "DN600", "DN700"),
    *("DN800", "DN900", "DN1000", "DN1100", "DN1200"),
)
#: Reasons listed by name at most this many times per kind (a 5,000-asset model says "and N more").
LISTED = 5


def _listed(names: list[str]) -> str:
    shown = ", ".join(f"'{name}'" for name in names[:LISTED])
    return shown + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")


def check_model(energy_system: esdl.EnergySystem) -> list[str]:
    """The reasons the optimiser cannot take this model; empty when it can.

    A heat network is needed: at least one heat carrier, one heat demand and one producer, and
    only asset types of :data:`SUPPORTED_ASSET_TYPES` (electricity-only and gas models, and
    heat networks with e.g. cables or PV, are refused with the assets named). An optional pipe
    (to be sized) needs its largest size as a DN of :data:`SIZED_PIPE_DNS`.
    """
    reasons: list[str] = []
    assets = [obj for obj in energy_system.eAllContents() if isinstance(obj, esdl.Asset)]
    unsupported: dict[str, list[str]] = {}
    for asset in assets:
        kind = type(asset).__name__
        if kind not in SUPPORTED_ASSET_TYPES:
            unsupported.setdefault(kind, []).append(asset.name or asset.id)
    carriers = [obj for obj in energy_system.eAllContents() if isinstance(obj, esdl.HeatCommodity)]
    kinds = {type(asset).__name__ for asset in assets}
    # a producer mesido takes; a four-port heat pump is its conversion between two networks
    producers = [
        a for a in assets if type(a).__name__ in SUPPORTED_ASSET_TYPES and is_heat_producer_asset(a)
    ]
    if not carriers or not kinds & DEMAND_TYPES or not producers:
        reasons.append(
            "The optimiser sizes heat networks: the model needs a heat carrier, at least one "
            "heat demand (HeatingDemand) and at least one heat producer; it has "
            f"{len(carriers)} heat carrier(s), "
            f"{sum(type(a).__name__ in DEMAND_TYPES for a in assets)} demand(s) and "
            f"{len(producers)} producer(s)."
        )
    for kind, names in sorted(unsupported.items()):
        reasons.append(
            f"The optimiser cannot take {kind} assets ({len(names)}: {_listed(names)}); remove "
            "them or use a model of the heat network alone."
        )
    unsized = [
        asset.name or asset.id
        for asset in assets
        if isinstance(asset, esdl.Pipe)
        and asset.state == esdl.AssetStateEnum.OPTIONAL
        and asset.diameter.name not in SIZED_PIPE_DNS
    ]
    if unsized:
        reasons.append(
            f"Optional pipes are sized up to their own nominal diameter, one of DN20 to DN1200; "
            f"{len(unsized)} have none or another ({_listed(unsized)}): give each its largest "
            "allowed DN."
        )
    return reasons
