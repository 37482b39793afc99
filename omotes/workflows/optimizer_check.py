"""Which models the optimiser (mesido) can take: a pure check, importable without mesido.

The optimiser runs in a worker of its own venv, so a model it cannot take would otherwise fail
only after waiting in that worker's queue and loading mesido. The frontend calls
:func:`check_model` at submit (it imports this module, never :mod:`omotes.workflows.optimizer`)
and refuses the job with the reasons.
"""

from __future__ import annotations

import esdl

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
PRODUCER_TYPES = frozenset(
    {"ElectricBoiler", "GasHeater", "GenericProducer", "GeothermalSource", "HeatProducer"}
    | {"HeatPump", "ResidualHeatSource"}
)
DEMAND_TYPES = frozenset({"GenericConsumer", "HeatingDemand"})
#: Reasons listed by name at most this many times per kind (a 5,000-asset model says "and N more").
LISTED = 5


def _listed(names: list[str]) -> str:
    shown = ", ".join(f"'{name}'" for name in names[:LISTED])
    return shown + (f" and {len(names) - LISTED} more" if len(names) > LISTED else "")


def check_model(energy_system: esdl.EnergySystem) -> list[str]:
    """The reasons the optimiser cannot take this model; empty when it can.

    A heat network is needed: at least one heat carrier, one heat demand and one producer, and
    only asset types of :data:`SUPPORTED_ASSET_TYPES` (electricity-only and gas models, and
    heat networks with e.g. cables or PV, are refused with the assets named).
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
    if not carriers or not kinds & DEMAND_TYPES or not kinds & PRODUCER_TYPES:
        reasons.append(
            "The optimiser sizes heat networks: the model needs a heat carrier, at least one "
            "heat demand (HeatingDemand) and at least one heat producer; it has "
            f"{len(carriers)} heat carrier(s), "
            f"{sum(type(a).__name__ in DEMAND_TYPES for a in assets)} demand(s) and "
            f"{sum(type(a).__name__ in PRODUCER_TYPES for a in assets)} producer(s)."
        )
    for kind, names in sorted(unsupported.items()):
        reasons.append(
            f"The optimiser cannot take {kind} assets ({len(names)}: {_listed(names)}); remove "
            "them or use a model of the heat network alone."
        )
    return reasons
