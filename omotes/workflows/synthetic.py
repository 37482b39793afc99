"""The ``synthetic`` workflow: a full-size result without a model, for load tests and benchmarks.

For every asset of the ESDL it writes ``quantities`` series of ``hours`` hourly values through
the simulator's own result writer (:func:`omotes.results.write_outputs`), so the job database
looks exactly like a simulation's: measurement per asset class, tags ``asset_id`` and
``asset_name``, one field per quantity with the simulator's names (``In.mass_flow``,
``heat_demand``...), and the output ESDL references every series. 1,000 assets x 10 quantities x
8,760 hours is the 87.6 M values of requirement R3 (``bench/ingest.py`` times it).

Values are smooth, deterministic curves (a daily and a yearly cycle around a level typical of the
quantity, phases drawn from the asset id and ``seed``): full double precision, as a simulator's
output is, so storage figures are not flattered by round numbers.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import esdl
import numpy as np

from omotes.influx import InfluxClient, InfluxError
from omotes.protocol import ParameterSpec, ParameterType, SeriesDescription, WorkflowError
from omotes.results import AssetOutput, plan_outputs, write_outputs
from omotes.workflows.base import JobContext, WorkflowResult, load_esdl

DEFAULT_START = datetime(2019, 1, 1, tzinfo=UTC)
TIMESTEP_S = 3600

#: Asset-level quantities the simulator reports, per asset class (first the two it always has).
ASSET_QUANTITIES: dict[str, tuple[str, ...]] = {
    "HeatingDemand": ("heat_demand", "heat_demand_set_point"),
    "Pipe": ("heat_loss", "velocity", "pressure_loss", "pressure_loss_per_length"),
    "Joint": ("heat_loss", "pressure_loss"),
}
PRODUCER_QUANTITIES = ("heat_supplied", "heat_supply_set_point")
#: Port quantities in the simulator's order.
PORT_ORDER = ("mass_flow", "pressure", "temperature", "volume_flow")

#: Typical level of each quantity (SI units) and its relative daily / yearly swing.
_LEVELS: dict[str, tuple[float, float, float]] = {
    "mass_flow": (4.0, 0.3, 0.4),
    "pressure": (4.5e5, 0.05, 0.02),
    "temperature": (333.15, 0.01, 0.03),
    "volume_flow": (0.004, 0.3, 0.4),
    "heat_demand": (2.5e5, 0.3, 0.5),
    "heat_demand_set_point": (-2.5e5, 0.3, 0.5),  # the simulator stores set points negative
    "heat_supplied": (2.0e7, 0.3, 0.5),
    "heat_supply_set_point": (-2.0e7, 0.3, 0.5),
    "heat_loss": (1.5e3, 0.05, 0.1),
    "velocity": (0.8, 0.3, 0.4),
    "pressure_loss": (2.0e3, 0.3, 0.4),
    "pressure_loss_per_length": (80.0, 0.3, 0.4),
}
_OTHER_LEVEL = (1.0, 0.3, 0.3)


def quantities_for(asset: esdl.Asset, count: int) -> list[tuple[esdl.Port, str]]:
    """``count`` (port, quantity) columns for an asset, in the simulator's vocabulary.

    Asset-level quantities first (on the first port, as the simulator's writer files them), then
    mass flow, pressure, temperature and volume flow on each port, then further asset-level
    ones; past those, ``synthetic_<n>`` (unit "-").
    """
    cls = type(asset).__name__
    if isinstance(asset, esdl.Producer):
        own = PRODUCER_QUANTITIES
    else:
        own = ASSET_QUANTITIES.get(cls, ("heat_loss", "pressure_loss"))
    first = asset.port[0] if asset.port else None
    columns: list[tuple[Any, str]] = [(first, q) for q in own[:2]]
    for port in asset.port:
        columns.extend((port, q) for q in PORT_ORDER)
    columns.extend((first, q) for q in own[2:])
    n = 1
    while len(columns) < count:
        columns.append((first, f"synthetic_{n}"))
        n += 1
    return columns[:count]


def synthetic_values(output: AssetOutput, hours: int, seed: int) -> np.ndarray:
    """(hours x fields) smooth curves for one asset; the same for the same asset id and seed."""
    rng = np.random.default_rng([seed, zlib.crc32(str(output.asset.id).encode())])
    hour = np.arange(hours, dtype=np.float64)[:, None]
    levels = np.array([_LEVELS.get(c.quantity, _OTHER_LEVEL) for c in output.columns])
    size = rng.uniform(0.5, 1.5, len(output.columns))
    daily = rng.uniform(0, 2 * np.pi, len(output.columns))
    yearly = rng.uniform(0, 2 * np.pi, len(output.columns))
    shape = (
        1.0
        + levels[:, 1] * np.sin(2 * np.pi * hour / 24 + daily)
        + levels[:, 2] * np.cos(2 * np.pi * hour / 8760 + yearly)
    )
    return levels[:, 0] * size * shape


def write_synthetic(
    energy_system: esdl.EnergySystem,
    client: InfluxClient,
    database: str,
    *,
    hours: int = 8760,
    quantities: int = 10,
    start: datetime = DEFAULT_START,
    seed: int = 0,
    add_profiles: bool = True,
    on_asset: Callable[[int, int], None] | None = None,
) -> list[SeriesDescription]:
    """Write ``quantities`` x ``hours`` values for every asset of ``energy_system``.

    Goes through :func:`omotes.results.write_outputs`, the simulator's writer. ``on_asset(done,
    total)`` reports progress after each asset. Returns the series written.
    """
    assets = [obj for obj in energy_system.eAllContents() if isinstance(obj, esdl.Asset)]
    columns = [
        (port.id, quantity)
        for asset in assets
        if asset.port
        for port, quantity in quantities_for(asset, quantities)
    ]
    outputs = plan_outputs(energy_system, columns)
    total = len(outputs)
    return write_outputs(
        outputs,
        lambda output: synthetic_values(output, hours, seed),
        start,
        TIMESTEP_S,
        hours,
        client,
        database,
        add_profiles=add_profiles,
        on_asset=None if on_asset is None else lambda done: on_asset(done, total),
    )


_PARAMETERS = (
    ParameterSpec(
        "hours", ParameterType.INT, "Hours", "Hourly time steps per series", 8760, 1, 87600
    ),
    ParameterSpec("quantities", ParameterType.INT, "Quantities", "Series per asset", 10, 1, 100),
    ParameterSpec("seed", ParameterType.INT, "Seed", "Same seed, same values", 0, 0, 2**31 - 1),
    ParameterSpec("start", ParameterType.DATETIME, "Start", "First time step (UTC)", DEFAULT_START),
)


def _int(params: dict[str, Any], spec: ParameterSpec) -> int:
    value = params.get(spec.key)
    if value is None or value == "":
        return int(spec.default)
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise WorkflowError(f"Parameter {spec.key!r}: {value!r} is not a whole number") from exc
    if not spec.minimum <= number <= spec.maximum:
        raise WorkflowError(
            f"Parameter {spec.key!r} must be between {spec.minimum:g} and {spec.maximum:g}"
        )
    return number


def _start(params: dict[str, Any]) -> datetime:
    value = params.get("start") or DEFAULT_START
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError as exc:
            raise WorkflowError(
                f"Parameter 'start': {value!r} is not an ISO 8601 datetime"
            ) from exc
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class SyntheticWorkflow:
    """The plug-in object (see :class:`omotes.workflows.base.Workflow`); test use only."""

    name = "synthetic"
    version = "1.0"
    title = "Synthetic results (test load)"
    description = (
        "Writes smooth made-up series for every asset (quantities x hours) in the simulator's "
        "result schema, without simulating; for load tests and benchmarks."
    )
    parameters = _PARAMETERS
    default_time_limit_s = 3600

    def run(self, esdl_text: str, params: dict[str, Any], context: JobContext) -> WorkflowResult:
        spec = {p.key: p for p in self.parameters}
        hours, quantities = _int(params, spec["hours"]), _int(params, spec["quantities"])
        seed, start = _int(params, spec["seed"]), _start(params)
        context.progress(0.0, "loading ESDL")
        handler, energy_system = load_esdl(esdl_text)
        client = InfluxClient(context.influx)
        step = 0

        def on_asset(done: int, total: int) -> None:
            nonlocal step
            if done * 50 // total > step:  # at most 50 progress messages
                step = done * 50 // total
                context.progress(0.9 * done / total, "writing results")

        try:
            series = write_synthetic(
                energy_system,
                client,
                context.database,
                hours=hours,
                quantities=quantities,
                start=start,
                seed=seed,
                on_asset=on_asset,
            )
        except InfluxError as exc:
            raise WorkflowError(f"The results could not be written to InfluxDB: {exc}") from exc
        context.progress(0.95, "writing output ESDL")
        output = handler.to_string()
        context.progress(1.0, "done")
        return WorkflowResult(output_esdl=output, series=series)


workflow = SyntheticWorkflow()
