"""Can a workflow run this ESDL? The pre-flight check, asked before a job is queued.

A model from the field may hold assets a workflow cannot take (electricity cables, gas networks,
ATES where its Java component is missing), ports connected to nothing, or consumers without the
demand profile the simulator reads. Left to the workflow, each fails after queueing and starting
with a raw exception deep in the calculation. Here each is found up front and named: one
:class:`AssetProblem` per asset, with what is wrong and what the designer can do.

Generic for every workflow: the asset types its description declares
(:attr:`~omotes.protocol.WorkflowDescription.supported_asset_types`) and connected ports. A
workflow with needs of its own registers an extra check with :func:`workflow_check`. The
frontend runs :func:`check_model` at upload (the model page says which workflows can run the
model) and again at submit (refusing with the problems); a workflow may run it again itself.
Pure Python on a pyesdl energy system: no Django, no network.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import esdl

from omotes.asset_roles import (
    HEAT_CONSUMER_CLASSES,
    HEAT_PRODUCER_CLASSES,
    HEAT_PUMP,
    is_heat_producer_asset,
)
from omotes.protocol import WorkflowDescription
from omotes.workflows import optimizer_check

#: At most this many problems are listed per check (the rest are counted in the last one).
MAX_PROBLEMS = 50
#: Raise it when a check here changes what it finds: a result kept under older rules (a model's
#: stored readiness, a prepared job input) is then checked again (:func:`checked_as`).
RULES_VERSION = 3


@dataclass(frozen=True)
class AssetProblem:
    """Why a model cannot run, about one asset (``asset_id`` empty: about the whole model)."""

    asset_id: str
    asset_name: str
    problem: str
    hint: str = ""
    code: str = ""  # a kind a caller may resolve itself (e.g. NO_DEMAND_PROFILE)

    def to_dict(self) -> dict[str, str]:
        return {
            "asset_id": self.asset_id,
            "asset_name": self.asset_name,
            "problem": self.problem,
            "hint": self.hint,
            "code": self.code,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AssetProblem:
        return cls(
            asset_id=str(data.get("asset_id", "")),
            asset_name=str(data.get("asset_name", "")),
            problem=str(data.get("problem", "")),
            hint=str(data.get("hint", "")),
            code=str(data.get("code", "")),
        )

    def __str__(self) -> str:
        who = self.asset_name or self.asset_id
        text = f"{who}: {self.problem}" if who else self.problem
        return f"{text} ({self.hint})" if self.hint else text


def asset_label(asset: Any) -> str:
    """``HeatingDemand "HD1"``, or the id where the asset has no name (ESDL allows that)."""
    name = asset.name or f"id {asset.id}"
    return f'{asset.eClass.name} "{name}"' if asset.name else f"{asset.eClass.name} ({name})"


def problem_for(asset: Any, problem: str, hint: str = "", code: str = "") -> AssetProblem:
    return AssetProblem(str(asset.id or ""), str(asset.name or ""), problem, hint, code)


#: The code of "a consumer has no demand profile": the frontend binds a standard one instead.
NO_DEMAND_PROFILE = "no-demand-profile"


def network_assets(energy_system: Any) -> Iterator[Any]:
    """The assets of the network: those in the instances' areas, sub-areas included.

    pyesdl's ``get_all_instances_of_type`` also finds the pipes of a pipe catalogue kept in
    ``<measures>`` or ``<templates>``; those are options, not part of the network.
    """
    stack = [inst.area for inst in energy_system.instance if inst.area is not None]
    while stack:
        area = stack.pop()
        yield from area.asset
        stack.extend(area.area)


def catalogue_assets(energy_system: Any) -> list[Any]:
    """Assets the model keeps outside its network (pipe catalogues in measures or templates)."""
    in_network = {id(asset) for asset in network_assets(energy_system)}
    return [
        obj
        for obj in energy_system.eAllContents()
        if isinstance(obj, esdl.Asset) and id(obj) not in in_network
    ]


#: Quantities a simulation writes (the OMOTES simulator's output columns, ours in
#: :mod:`omotes.results` and the reference system's ``<Port>.<quantity>`` fields): a profile with
#: one of these fields is the result of a run, not an input.
RESULT_QUANTITIES = frozenset(
    {
        "mass_flow",
        "pressure",
        "temperature",
        "volume_flow",
        "heat_demand",
        "heat_demand_set_point",
        "heat_supplied",
        "heat_supply_set_point",
        "velocity",
        "pressure_loss",
        "pressure_loss_per_length",
        "heat_loss",
        "heat_power_primary",
        "heat_power_secondary",
        "electricity_consumption",
    }
)

#: Assets that take no input profile: a profile on their ports can only be a result.
_NO_INPUT_ASSETS = (esdl.Pipe, esdl.Joint)


def _owner_asset(obj: Any) -> Any:
    current = obj.eContainer()
    while current is not None and not isinstance(current, esdl.Asset):
        current = current.eContainer()
    return current


def is_result_profile(profile: Any) -> bool:
    """Whether an ``esdl:InfluxDBProfile`` holds the result of an earlier run (an output ESDL
    of this or another system uploaded as input) rather than input data."""
    quantity = (profile.field or "").rsplit(".", 1)[-1].strip().lower()
    if quantity in RESULT_QUANTITIES:
        return True
    asset = _owner_asset(profile)
    return isinstance(asset, _NO_INPUT_ASSETS)


def _capped(problems: list[AssetProblem]) -> list[AssetProblem]:
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    return [*problems[:MAX_PROBLEMS], AssetProblem("", "", f"... and {rest} more")]


#: Why a workflow leaves out an asset type that users expect it to take, by (workflow, type).
WHY_UNSUPPORTED = {
    ("simulator", "ATES"): "the simulator needs its Java component Rosim for ATES, which is "
    "not available on this system",
    ("simulator", "GasHeater"): "the simulator's network controller never drives a gas heater, "
    "so it would supply no heat; model it as a HeatProducer of the same power",
}


def unsupported_assets(description: WorkflowDescription, energy_system: Any) -> list[AssetProblem]:
    """Assets of a type the workflow does not declare (none when it declares no types)."""
    supported = set(description.supported_asset_types)
    if not supported:
        return []
    shown = ", ".join(sorted(supported))
    title = description.title or description.name

    def problem(kind: str) -> str:
        reasons = (WHY_UNSUPPORTED.get((n, kind)) for n in (description.name, *description.steps))
        why = next((reason for reason in reasons if reason), None)
        return f"{kind} is not supported by {title}" + (f": {why}" if why else "")

    return [
        problem_for(
            asset,
            problem(asset.eClass.name),
            f"remove it or replace it by a supported asset type ({shown})",
        )
        for asset in network_assets(energy_system)
        if asset.eClass.name not in supported
    ]


def unconnected_ports(energy_system: Any) -> list[AssetProblem]:
    """Ports of network assets connected to nothing (a calculation cannot close the network)."""
    problems = []
    for asset in network_assets(energy_system):
        loose = [port for port in asset.port if not port.connectedTo]
        if loose:
            names = ", ".join(f"{p.eClass.name} {p.name or p.id}" for p in loose)
            problems.append(
                problem_for(asset, f"port(s) not connected: {names}", "connect or remove them")
            )
    return problems


Check = Callable[[Any], list[AssetProblem]]
_WORKFLOW_CHECKS: dict[str, Check] = {}


def workflow_check(name: str) -> Callable[[Check], Check]:
    """Register ``check(energy_system) -> problems`` as the extra check of workflow ``name``."""

    def register(check: Check) -> Check:
        _WORKFLOW_CHECKS[name] = check
        return check

    return register


def checked_as(description: WorkflowDescription) -> str:
    """What a kept check result holds for: the workflow's version, the asset types its workers
    announce and these rules. A worker may announce other types under the same version (the
    version is the calculation's package), so the types are part of it."""
    types = hashlib.sha256(",".join(description.supported_asset_types).encode()).hexdigest()
    return f"{description.version}/{types[:12]}/{RULES_VERSION}"


def check_model(description: WorkflowDescription, energy_system: Any) -> list[AssetProblem]:
    """Every reason the workflow cannot run this model; empty when it can."""
    problems = unsupported_assets(description, energy_system)
    if description.supported_asset_types:  # a network workflow: the network must be closed
        problems += unconnected_ports(energy_system)
    # a sequence's first step reads the model; the later ones read the step before's output
    extra = _WORKFLOW_CHECKS.get(description.steps[0] if description.steps else description.name)
    if extra is not None:
        problems += extra(energy_system)
    return _capped(problems)


# --- the simulator (omotes-simulator-core) ------------------------------------------------------

#: The ESDL types the simulator's asset mapper registry (``conversion_dict_mappers`` of
#: ``omotes_simulator_core.adapter.transforms.esdl_asset_mapper``, matched by exact type) maps,
#: plus joints (nodes), less ATES (:data:`WHY_UNSUPPORTED`) and GasHeater: it is mapped as a
#: producer, but the network controller drives only ``GenericProducer``, ``HeatProducer`` and its
#: subclasses and two-port heat pumps, so a gas heater gets no set point and supplies nothing
#: (measured: beside a GenericProducer it supplied 0 W all run; alone, the run fails with "No
#: asset found for which the pressure can be set"). Tests compare this with the installed
#: simulator's registry and controller.
SIMULATOR_ASSET_TYPES = (
    "Consumer",
    "GenericConsumer",
    "GenericProducer",
    "GeothermalSource",
    "HeatExchange",
    "HeatProducer",
    "HeatPump",
    "HeatStorage",
    "HeatingDemand",
    "Joint",
    "Pipe",
    "Producer",
    "ResidualHeatSource",
    "SolarCollector",
)
_STORAGES = ("HeatStorage",)


def _temperature(carrier: Any) -> float | None:
    """A heat carrier's temperature (°C): its supply temperature, else its return one."""
    if not isinstance(carrier, esdl.HeatCommodity):
        return None
    for attribute in ("supplyTemperature", "returnTemperature"):
        if carrier.eIsSet(attribute):
            return float(getattr(carrier, attribute))
    return None


def _swapped_carriers(asset: Any) -> str:
    """Why an asset's ports look to carry supply and return the wrong way round: a consumer or
    storage takes heat in hotter than it gives it back, a producer gives it out hotter (the
    simulator's matrix is singular otherwise); "" when they do not."""
    kind = asset.eClass.name
    producer = is_heat_producer_asset(asset)
    if len(asset.port) != 2 or not (producer or kind in (*HEAT_CONSUMER_CLASSES, *_STORAGES)):
        return ""
    inport = next((p for p in asset.port if isinstance(p, esdl.InPort)), None)
    outport = next((p for p in asset.port if isinstance(p, esdl.OutPort)), None)
    if inport is None or outport is None:
        return ""
    t_in, t_out = _temperature(inport.carrier), _temperature(outport.carrier)
    if t_in is None or t_out is None or t_in == t_out:
        return ""
    if (t_out > t_in) == producer:
        return ""
    rule = (
        "a producer gives heat out hotter than it takes it in"
        if producer
        else "a consumer or storage takes heat in hotter than it gives it back"
    )
    return (
        f"its InPort is on carrier {inport.carrier.name or inport.carrier.id} ({t_in:g} °C) and "
        f"its OutPort on {outport.carrier.name or outport.carrier.id} ({t_out:g} °C), but "
        f"{rule}: supply and return look swapped"
    )


def _is_optimizer_profile(profile: Any) -> bool:
    source = getattr(profile, "dataSource", None)
    return getattr(source, "name", None) == "Optimizer"


@workflow_check("simulator")
def simulator_inputs(energy_system: Any) -> list[AssetProblem]:
    """What the simulator needs besides its asset types: a heat consumer and producer, assets
    named apart, ports connected to enabled assets, as many in as out ports on every asset, and
    the inputs its controllers read: a demand profile on each consumer, the
    ``Heat_flow`` profile of a producer set by the optimiser, a profile as a constraint's
    maximum."""
    problems = []
    assets = list(network_assets(energy_system))
    producers = sorted(HEAT_PRODUCER_CLASSES & set(SIMULATOR_ASSET_TYPES) | {HEAT_PUMP})
    for role, present, members in (
        (
            "consumer",
            any(a.eClass.name in HEAT_CONSUMER_CLASSES for a in assets),
            ", ".join(sorted(HEAT_CONSUMER_CLASSES)),
        ),
        (
            "producer",
            any(is_heat_producer_asset(a) and a.eClass.name in producers for a in assets),
            # a four-port heat pump passes on heat a producer of its primary network supplied
            f"{', '.join(p for p in producers if p != HEAT_PUMP)}, or a HeatPump with two ports",
        ),
    ):
        if not present:
            problems.append(
                AssetProblem(
                    "",
                    "",
                    f"the network has no heat {role}; the simulator needs at least one",
                    f"add one of {members}",
                )
            )
    by_name: dict[str, list[Any]] = {}
    for asset in assets:
        if asset.name:
            by_name.setdefault(asset.name, []).append(asset)
    for name, same in by_name.items():
        if len(same) > 1:
            ids = ", ".join(str(a.id) for a in same[:5])
            problems.extend(
                problem_for(
                    asset,
                    f"{len(same)} assets are named {name!r} (ids {ids}); the simulator tells "
                    "assets apart by name",
                    "give each asset its own name",
                )
                for asset in same
            )
    for asset in assets:
        kind = asset.eClass.name
        profiles = [
            profile
            for port in asset.port
            for profile in port.profile
            if isinstance(profile, esdl.InfluxDBProfile) and not is_result_profile(profile)
        ]
        disabled = [
            port
            for port in asset.port
            if port.connectedTo
            and not any(str(other.energyasset.state) == "ENABLED" for other in port.connectedTo)
        ]
        if disabled:
            names = ", ".join(f"{p.eClass.name} {p.name or p.id}" for p in disabled)
            problems.append(
                problem_for(
                    asset,
                    f"port(s) {names} connect only to assets that are not ENABLED (OPTIONAL or "
                    "DISABLED), which the simulator leaves out",
                    "set the connected assets' state to ENABLED",
                )
            )
        swapped = _swapped_carriers(asset)
        if swapped:
            problems.append(
                problem_for(
                    asset,
                    swapped,
                    "swap the carriers of its ports (or the ports' connections)",
                )
            )
        ins = sum(isinstance(port, esdl.InPort) for port in asset.port)
        outs = len(asset.port) - ins
        if ins != outs:
            problems.append(
                problem_for(
                    asset,
                    f"has {ins} in port(s) and {outs} out port(s); the simulator needs as many "
                    "of each",
                    "split it (e.g. a joint per connection pair) so each has equal in and out",
                )
            )
        if kind in HEAT_CONSUMER_CLASSES and not profiles:
            problems.append(
                problem_for(
                    asset,
                    "has no demand profile (InfluxDBProfile) on its ports; the simulator needs "
                    "one per consumer",
                    "add an input profile (InfluxDBProfile) to its InPort",
                    NO_DEMAND_PROFILE,
                )
            )
        if is_heat_producer_asset(asset):  # a two-port heat pump too: the same controller
            out_profiles = [
                p for port in asset.port if isinstance(port, esdl.OutPort) for p in port.profile
            ]
            if any(map(_is_optimizer_profile, out_profiles)) and not any(
                p.field == "Heat_flow" for p in out_profiles
            ):
                problems.append(
                    problem_for(
                        asset,
                        "has an optimiser profile on its OutPort but none with field Heat_flow",
                        "give the producer's OutPort profile the field Heat_flow",
                    )
                )
            for constraint in asset.constraint:
                if not isinstance(getattr(constraint, "maximum", None), esdl.InfluxDBProfile):
                    problems.append(
                        problem_for(
                            asset,
                            f"constraint {constraint.name or constraint.id} has no maximum "
                            "profile, which the simulator's producer control reads",
                            "give the constraint a maximum InfluxDBProfile or remove it",
                        )
                    )
    return problems


# --- the optimiser (mesido) ----------------------------------------------------------------------


def optimizer_inputs(energy_system: Any) -> list[AssetProblem]:
    """The optimiser's own check (:mod:`omotes.workflows.optimizer_check`, which its worker runs
    too), as problems about the model as a whole: its reasons name the assets."""
    return [AssetProblem("", "", reason) for reason in optimizer_check.check_model(energy_system)]


for _workflow in optimizer_check.OPTIMIZER_WORKFLOWS:
    workflow_check(_workflow)(optimizer_inputs)
