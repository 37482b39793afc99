"""The ``optimizer`` workflows: mesido's end-scenario sizing of a heat network (GROW).

mesido sizes producers, storage and pipes (DN) for the lowest total cost of ownership while
meeting demand, with HiGHS (built into its casadi fork, no licence). It pins numpy 1.25 /
pandas 1.5 and needs Python < 3.12, so this module imports only in the optimiser's venv
(``.venv-optimizer``, ``requirements-optimizer.txt``); elsewhere its import fails and a worker
does not offer these workflows (:mod:`omotes.workflows.registry`). What the frontend needs to
refuse a model at submit lives in :mod:`omotes.workflows.optimizer_check`, importable anywhere.

What this module adds around mesido:

- Input profiles come from our profile store through :class:`omotes.influx.InfluxClient` with
  the worker's credentials (:func:`_profile_reader`): mesido's own reader would connect to each
  profile's host without credentials. mesido still converts units and applies multipliers.
- Pipe sizes: an optional pipe (state ``OPTIONAL``, its ``diameter`` the largest it may get)
  is given a nominal size from DN20 up (:data:`SMALLEST_PIPE`), or none when unused; mesido's
  own floor, DN150, leaves district networks' service pipes unsizeable. Enabled pipes keep
  their size. The sized ESDL names each pipe's DN and inner diameter.
- Progress: mesido reports when a goal priority of a stage completes; the start of each priority
  is reported too, naming the stage and the goal, so a long priority does not look stuck.
- Output: the sized ESDL mesido writes, its KPIs, and per producer and storage asset the heat
  series on the input profiles' time grid, written to the job's database (:mod:`omotes.results`)
  as the producer schedules the simulator follows (:data:`OUTPUT_SERIES`). mesido optimises a
  reduced horizon (the peak day hourly, other days in blocks); each value holds until the next
  optimised time.
- Failures: :class:`MesidoAssetIssueError` (a model mesido refuses: demand power below its
  profile, optional demands...) becomes a :class:`WorkflowError` with one :class:`AssetMessage`
  per asset; so does a design that cannot meet demand (mesido logs the demands short and the
  producers and pipes at their limits, then raises), each message on its asset.
"""

from __future__ import annotations

import ast
import base64
import logging
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import esdl
import numpy as np
import pandas as pd
from mesido.esdl.esdl_parser import ESDLStringParser
from mesido.esdl.profile_parser import ESDLProfileReader
from mesido.exceptions import MesidoAssetIssueError
from mesido.workflows import (
    EndScenarioSizingStaged,
    run_end_scenario_sizing,
    run_end_scenario_sizing_no_heat_losses,
)

from omotes.influx import InfluxClient, InfluxError, InfluxSettings
from omotes.protocol import AssetMessage, Kpi, ParameterSpec, ParameterType, WorkflowError
from omotes.results import AssetOutput, OutputColumn, profile_label, profile_tags, write_outputs
from omotes.workflows.base import JobContext, WorkflowResult, load_esdl
from omotes.workflows.optimizer_check import SIZED_PIPE_DNS, check_model
from omotes.workflows.sequence import Sequence

logger = logging.getLogger(__name__)

#: Goal priorities of the end-scenario sizing, as a user reads them.
GOALS = {1: "matching demand", 2: "minimising total cost of ownership"}
#: Output series per mesido component type: the result variable suffix. Each is written as
#: field ``Heat_flow`` [W] with an ``InfluxDBProfile`` on the asset's out port whose data source
#: is "Optimizer": the convention by which the simulator (omotes-simulator-core) runs producers
#: to the optimiser's schedule, which is how ``optimize_simulate`` simulates the sized network.
OUTPUT_SERIES = {"heat_source": ".Heat_source", "heat_buffer": ".Heat_buffer", "ates": ".Heat_ates"}
SCHEDULE_FIELD = "Heat_flow"
SCHEDULE_SOURCE = "Optimizer"
_UNMET = re.compile(r"For demand (?P<name>.+?) the target is not matched by (?P<gj>\S+) GJ")
_MAXED = re.compile(
    r"heat production by the following heat producers is maximised: (?P<names>\[.*\])"
)
_FAST = re.compile(r"there are pipes with velocities above \S+ m/s: (?P<names>\[.*\])")
_FIRST, _LAST = 0.05, 0.9
#: How often a goal that takes long says it is still being solved.
CLOCK_S = 30.0
#: The smallest nominal size the optimiser may give an optional pipe: the smallest of mesido's
#: catalogue. mesido's own minimum is DN150 ("regional and primary networks"): an optional pipe
#: whose upper size (its ``diameter``) is below that gets only "no pipe", and the problem turns
#: ill-posed (NaN bounds on the pipe's maximum discharge). District networks have service pipes
#: of DN20-DN100.
SMALLEST_PIPE = getattr(esdl.PipeDiameterEnum, SIZED_PIPE_DNS[0])
#: The ESDL version from which mesido reads supply/return pipe pairs from ``related``.
PAIRED_PIPES_VERSION = "v2110"

_PARAMETERS = (
    ParameterSpec(
        key="horizon_years",
        type=ParameterType.INT,
        title="Lifetime for the total cost of ownership",
        description="Years of operation over which investment and operating costs are "
        "minimised together.",
        default=30,
        minimum=1,
        maximum=100,
    ),
)


def _profile_reader(settings: InfluxSettings) -> type[ESDLProfileReader]:
    """mesido's ESDL profile reader, reading from our InfluxDB with our credentials."""
    client = InfluxClient(settings)

    class OurProfileReader(ESDLProfileReader):
        def _load_profile_timeseries_from_database(self, profile: Any) -> pd.Series:
            if not isinstance(profile, esdl.InfluxDBProfile):
                return super()._load_profile_timeseries_from_database(profile)
            label = profile_label(profile)
            try:
                points = list(
                    client.select_series(
                        str(profile.database),
                        str(profile.measurement),
                        str(profile.field),
                        profile_tags(profile),
                    )
                )
            except InfluxError as exc:
                raise WorkflowError(f"The input {label} could not be read: {exc}") from exc
            start = profile.startDate.timestamp() if profile.startDate else float("-inf")
            end = profile.endDate.timestamp() if profile.endDate else float("inf")
            points = [(t, v) for t, v in points if start <= t <= end]
            if not points:
                raise WorkflowError(
                    f"The input {label} has no data in database '{profile.database}'; upload "
                    "the profile first"
                )
            index = pd.DatetimeIndex([datetime.fromtimestamp(t, UTC) for t, _ in points])
            return pd.Series([v for _, v in points], index=index)

    return OurProfileReader


class _DemandGaps(logging.Handler):
    """Collects what mesido logs when the design cannot meet demand: each demand short (and by
    how much), the producers running at their maximum size and the pipes at their largest
    diameter with high velocities at those times, so the user sees them on the assets."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.short: list[tuple[str, float]] = []
        self.maxed_producers: list[str] = []
        self.fast_pipes: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if match := _UNMET.search(text):
            self.short.append((match["name"], float(match["gj"])))
        elif match := _MAXED.search(text):
            self.maxed_producers.extend(ast.literal_eval(match["names"]))
        elif match := _FAST.search(text):
            self.fast_pipes.extend(ast.literal_eval(match["names"]))

    def messages(self, energy_system: esdl.EnergySystem) -> list[AssetMessage]:
        ids = {a.name: a.id for a in energy_system.eAllContents() if isinstance(a, esdl.Asset)}
        found = [
            AssetMessage("error", f"Demand '{name}' cannot be met: {gj:g} GJ short.", ids.get(name))
            for name, gj in self.short
        ]
        found += [
            AssetMessage(
                "error",
                f"Producer '{name}' runs at its maximum size (its power) where demand is not "
                "met: allow more installed power, or add a producer.",
                ids.get(name),
            )
            for name in self.maxed_producers
        ]
        found += [
            AssetMessage(
                "error",
                f"Pipe '{name}' is at its largest diameter with a high velocity where demand "
                "is not met: allow a larger diameter.",
                ids.get(name),
            )
            for name in self.fast_pipes
        ]
        return found


@dataclass(frozen=True)
class OptimizerWorkflow:
    """The plug-in object (see :class:`omotes.workflows.base.Workflow`)."""

    name: str
    title: str
    description: str
    staged: bool
    version: str = "mesido-0.1.22"
    parameters: tuple[ParameterSpec, ...] = _PARAMETERS
    default_time_limit_s: int = 4 * 3600
    time_limit_advice: str = (
        "The optimiser keeps no partial design. Ask an operator for a longer time limit for "
        "this workflow, or try the optimiser without heat losses (faster) or a smaller model."
    )

    @property
    def runtime_prior(self) -> dict[str, float]:
        """A rough guess until the frontend has runs to learn from: a MILP's solve grows faster
        than the network, so seconds per asset squared (shared/notes/mesido.md, a busy 2-core
        host: staged 26 s for 25 assets; unstaged 11 s, and 400 assets past 25 min)."""
        return {"overhead_s": 5.0, "per_asset_squared_s": 0.03 if self.staged else 0.01}

    def run(self, esdl_text: str, params: dict[str, Any], context: JobContext) -> WorkflowResult:
        context.progress(0.0, "checking the model")
        handler, energy_system = load_esdl(esdl_text)
        reasons = check_model(energy_system)
        if reasons:
            raise WorkflowError(" ".join(reasons))
        if not energy_system.esdlVersion:
            # Without a version mesido pairs supply and return pipes by name ("X", "X_ret")
            # instead of by their ``related`` attribute (ESDL v2110 and later).
            energy_system.esdlVersion = PAIRED_PIPES_VERSION
            esdl_text = handler.to_string()
        years = _years(params.get("horizon_years"))
        gaps = _DemandGaps()
        logging.getLogger("mesido").addHandler(gaps)
        try:
            solution = self._solve(esdl_text, years, context)
        except MesidoAssetIssueError as exc:
            raise _asset_issue(exc) from exc
        except SystemExit as exc:
            # mesido exits when HiGHS fails (infeasible, or its own time limit per priority).
            raise WorkflowError(
                "The optimiser found no solution (infeasible, or HiGHS stopped at its time "
                "limit for a goal); the job log names the stage and goal."
            ) from exc
        except RuntimeError as exc:
            if "heating demand is not matched" in str(exc):
                raise WorkflowError(
                    "The optimiser cannot meet all heat demand with what the model allows; the "
                    "messages name the demands short and the assets at their limits.",
                    gaps.messages(energy_system),
                ) from exc
            if "Ill-posed" not in str(exc):
                raise
            raise WorkflowError(
                "The optimisation problem is ill-posed (a variable's lower bound is above its "
                "upper bound): check the sizes, states and profiles of the assets."
            ) from exc
        finally:
            logging.getLogger("mesido").removeHandler(gaps)
        context.progress(_LAST, "writing results")
        handler, output = load_esdl(solution.optimized_esdl_string)
        series = _write_series(solution, output, context)
        kpis = _kpis(output)
        context.progress(1.0, "done")
        return WorkflowResult(output_esdl=handler.to_string(), series=series, kpis=kpis)

    def _solve(self, esdl_text: str, years: int, context: JobContext) -> Any:
        total = 4 if self.staged else 2
        clock = _GoalClock(context)

        def on_completed(fraction: float, _: str) -> None:
            done = f"{round(float(fraction) * total)} of {total} goals solved"
            clock.report(_FIRST + (_LAST - _FIRST) * float(fraction), done)

        class Problem(EndScenarioSizingStaged):
            """Reports each goal priority as it starts, and the chosen cost horizon; sizes
            optional pipes from :data:`SMALLEST_PIPE` up."""

            _ESDLMixin__minimum_pipe_size_name = SMALLEST_PIPE

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._number_of_years = float(years)

            def priority_started(self, priority: int) -> None:
                super().priority_started(priority)
                stage = max(int(getattr(self, "_stage", 1) or 1), 1)
                done = (stage - 1) * 2 + min(priority, 2) - 1
                goal = GOALS.get(priority, f"goal {priority}")
                stages = f"stage {stage}/{self._total_stages}: " if total == 4 else ""
                clock.report(_FIRST + (_LAST - _FIRST) * done / total, f"{stages}{goal}")

        kwargs = {
            "esdl_string": base64.b64encode(esdl_text.encode("utf-8")),
            "esdl_parser": ESDLStringParser,
            "profile_reader": _profile_reader(context.influx),
            "update_progress_function": on_completed,
        }
        with clock:
            clock.report(_FIRST, "building the optimisation problem")
            if self.staged:
                return run_end_scenario_sizing(Problem, **kwargs)
            return run_end_scenario_sizing_no_heat_losses(Problem, **kwargs)


class _GoalClock:
    """Progress while a goal is being solved: HiGHS says nothing for minutes on a large network,
    so the last message is repeated every :data:`CLOCK_S` seconds with the time spent on it
    ("stage 1/2: matching demand, 4 min"). One lock: reports come from the solver's thread too.
    """

    def __init__(self, context: JobContext) -> None:
        self.context = context
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.last = (0.0, "", time.monotonic())

    def report(self, fraction: float, message: str) -> None:
        with self.lock:
            self.last = (fraction, message, time.monotonic())
            self.context.progress(fraction, message)

    def _tick(self) -> None:
        while not self.stop.wait(CLOCK_S):
            with self.lock:
                fraction, message, since = self.last
                minutes = (time.monotonic() - since) / 60
                if message:
                    self.context.progress(fraction, f"{message}, {minutes:.0f} min")

    def __enter__(self) -> _GoalClock:
        threading.Thread(target=self._tick, name="goal-clock", daemon=True).start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()


def _years(value: Any) -> int:
    spec = _PARAMETERS[0]
    if value is None or value == "":
        return int(spec.default)
    try:
        years = int(value)
    except (TypeError, ValueError) as exc:
        raise WorkflowError(f"Parameter 'horizon_years': {value!r} is not a number") from exc
    if not spec.minimum <= years <= spec.maximum:  # type: ignore[operator]
        raise WorkflowError(
            f"Parameter 'horizon_years' must be between {spec.minimum:g} and {spec.maximum:g}"
        )
    return years


def _asset_issue(exc: MesidoAssetIssueError) -> WorkflowError:
    """The infeasibility mesido found, with its message per asset."""
    messages = [
        AssetMessage("error", str(text), str(asset_id))
        for asset_id, text in (exc.message_per_asset_id or {}).items()
    ]
    return WorkflowError(f"The optimiser cannot size this network: {exc.general_issue}", messages)


def _grid(times: list[datetime]) -> tuple[datetime, int, int]:
    """(start, step in s, steps) of the finest regular grid through mesido's times."""
    seconds = np.diff([t.timestamp() for t in times])
    step = int(min(seconds)) if len(seconds) else 3600
    steps = int((times[-1] - times[0]).total_seconds() // step) + 1
    return times[0], step, steps


def _write_series(solution: Any, output: esdl.EnergySystem, context: JobContext) -> list:
    """Producer and storage heat on a regular grid, each optimised value held until the next."""
    times = [t if t.tzinfo else t.replace(tzinfo=UTC) for t in solution.io.datetimes]
    start, step, steps = _grid(times)
    # mesido's last time closes its last block, one step past the input profiles: stop at them.
    ends = [
        p.endDate if p.endDate.tzinfo else p.endDate.replace(tzinfo=UTC)
        for p in output.eAllContents()
        if isinstance(p, esdl.InfluxDBProfile) and p.endDate
    ]
    if ends and min(ends) >= start:
        steps = min(steps, int((min(ends) - start).total_seconds() // step) + 1)
    offsets = np.array([(t - start).total_seconds() for t in times])
    grid = np.arange(steps) * step
    positions = np.searchsorted(offsets, grid, side="right") - 1
    results = solution.extract_results()
    by_id = {a.id: a for a in output.eAllContents() if isinstance(a, esdl.Asset)}
    by_name = {a.name: a for a in by_id.values()}
    outputs: list[AssetOutput] = []
    blocks: dict[int, np.ndarray] = {}
    for component_type, suffix in OUTPUT_SERIES.items():
        for component in sorted(solution.energy_system_components.get(component_type, [])):
            asset = by_id.get(component) or by_name.get(component)
            variable = f"{component}{suffix}"
            ports = asset.port if asset is not None else []
            out_port = next((p for p in ports if isinstance(p, esdl.OutPort)), None)
            if out_port is None or variable not in results:
                continue
            values = np.asarray(results[variable], dtype=np.float64)[positions]
            column = OutputColumn(variable, out_port, "heat_supplied", SCHEDULE_FIELD)
            out = AssetOutput(asset, [column])
            blocks[id(out)] = values.reshape(-1, 1)
            outputs.append(out)
    client = InfluxClient(context.influx)
    try:
        series = write_outputs(
            outputs,
            lambda out: blocks[id(out)],
            start,
            step,
            steps,
            client,
            context.database,
        )
    except InfluxError as exc:
        raise WorkflowError(f"The results could not be written to InfluxDB: {exc}") from exc
    for out in outputs:
        for profile in out.columns[0].port.profile:
            if isinstance(profile, esdl.InfluxDBProfile) and profile.database == context.database:
                profile.dataSource = esdl.DataSource(id=str(uuid.uuid4()), name=SCHEDULE_SOURCE)
    return series


def _kpis(energy_system: esdl.EnergySystem) -> list[Kpi]:
    """The KPIs mesido put in the sized ESDL (cost breakdowns, energy per producer), one
    :class:`Kpi` per item of each distribution ("CAPEX breakdown (30.0 year period): Pipe")."""
    kpis: list[Kpi] = []
    seen: set[str] = set()
    for kpi in energy_system.eAllContents():
        if isinstance(kpi, esdl.DoubleKPI):
            items = [(str(kpi.name or kpi.id), kpi.value)]
        elif isinstance(kpi, esdl.DistributionKPI) and kpi.distribution is not None:
            items = [
                (f"{kpi.name}: {item.label}", item.value) for item in kpi.distribution.stringItem
            ]
        else:
            continue
        unit = _unit(kpi.quantityAndUnit) if kpi.quantityAndUnit is not None else ""
        for name, value in items:
            key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:100] or "kpi"
            if value is None or not np.isfinite(float(value)) or key in seen:
                continue
            seen.add(key)
            kpis.append(Kpi(key, name, float(value), unit))
    return kpis


def _unit(unit: Any) -> str:
    if isinstance(unit, esdl.QuantityAndUnitReference):
        unit = unit.reference
    multiplier = "" if unit.multiplier.name == "NONE" else unit.multiplier.name.title()
    return f"{multiplier} {unit.unit.name.lower()}".strip()


optimizer = OptimizerWorkflow(
    name="optimizer",
    title="Optimiser: size the network (GROW)",
    description=(
        "Sizes producers, storage and pipe diameters for the lowest total cost of ownership "
        "while meeting demand (mesido end-scenario sizing, staged: first without heat losses, "
        "then with them around the first stage's pipe sizes)."
    ),
    staged=True,
)
optimizer_no_heat_losses = OptimizerWorkflow(
    name="optimizer_no_heat_losses",
    title="Optimiser without heat losses (fast)",
    description=(
        "The optimiser's first stage alone: sizes producers, storage and pipes ignoring heat "
        "losses in pipes. Faster; good for trying designs."
    ),
    staged=False,
    default_time_limit_s=2 * 3600,
)
optimize_simulate = Sequence(
    name="optimize_simulate",
    title="Optimise, then simulate",
    description=(
        "Sizes the network with the optimiser, simulates the sized network (the optimiser's "
        "producer profiles in its ESDL) and computes its KPIs, in one job."
    ),
    steps=("optimizer", "simulator", "kpis"),
)
