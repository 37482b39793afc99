"""The ``simulator`` workflow: the OMOTES heat-network simulator (``omotes-simulator-core``).

It runs ``SimulationManager(...).execute`` on the job's ESDL, writes every output series to the
job's InfluxDB database (:mod:`omotes.results`) and returns the ESDL with ``InfluxDBProfile``
references to those series.

Three things the simulator does on its own are replaced or guarded here, because they fail or
misbehave in this deployment:

- Input profiles: the simulator reads every ``esdl:InfluxDBProfile`` itself, connecting to the
  profile's host with an empty user name and password. Our InfluxDB may need credentials, and
  the frontend rewrites profile hosts to point at it anyway, so our reader is patched in for the
  run (:mod:`omotes.workflows.simulator_profiles`).
- ATES assets need Rosim, a Java component fetched from the internet through pyjnius, which is
  not available here (and pyjnius must never be loaded in a worker that forks): refused up front.
- Log output: the simulator logs one warning per capped time step and many "Property ... is not
  set" warnings; they are collected and returned as a few counted :class:`AssetMessage` entries
  (:mod:`omotes.workflows.simulator_logs`).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata
import logging
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import esdl
import omotes_simulator_core  # noqa: F401 - no simulator, no workflow: a worker does not offer it
import pandas as pd
from esdl.esdl_handler import EnergySystemHandler

from omotes.influx import InfluxClient, InfluxError
from omotes.preflight import (
    SIMULATOR_ASSET_TYPES,
    catalogue_assets,
    check_model,
    is_result_profile,
    network_assets,
)
from omotes.protocol import ParameterSpec, ParameterType, WorkflowError
from omotes.results import write_results
from omotes.workflows.base import JobContext, WorkflowResult, describe, load_esdl
from omotes.workflows.simulator_logs import LogAggregator, collect_simulator_logs
from omotes.workflows.simulator_profiles import READER_MODULES, as_utc, profiles_from

logger = logging.getLogger(__name__)

SIMULATOR_PACKAGE = "omotes-simulator-core"
#: Used when the ESDL has no InfluxDBProfile to derive the period from (one year, hourly).
DEFAULT_START = datetime(2019, 1, 1, tzinfo=UTC)
DEFAULT_END = datetime(2019, 12, 31, 23, tzinfo=UTC)

# Progress: the simulator reports 0.0 .. about 0.93 and nothing while loading.
_SIM_FIRST, _SIM_LAST, _SIM_REPORTED_MAX = 0.05, 0.9, 0.93


def _simulator_version() -> str:
    try:
        return importlib.metadata.version(SIMULATOR_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


# --------------------------------------------------------------------------------------------
# Simulation period
# --------------------------------------------------------------------------------------------


def derive_period(energy_system: esdl.EnergySystem) -> tuple[datetime, datetime]:
    """The period covered by all input profiles: latest ``startDate`` .. earliest ``endDate``.

    Profiles holding results of an earlier run (an output ESDL) are not inputs.
    Both ends are time steps that are simulated (``end`` included). Profiles without dates are
    ignored; without any dated profile (or when they do not overlap) this falls back to
    :data:`DEFAULT_START` .. :data:`DEFAULT_END`.
    """
    starts: list[datetime] = []
    ends: list[datetime] = []
    for obj in energy_system.eAllContents():
        if (
            isinstance(obj, esdl.InfluxDBProfile)
            and obj.startDate
            and obj.endDate
            and not is_result_profile(obj)
        ):
            starts.append(as_utc(obj.startDate))
            ends.append(as_utc(obj.endDate))
    if starts and max(starts) < min(ends):
        return max(starts), min(ends)
    return DEFAULT_START, DEFAULT_END


def _parse_datetime(value: Any, key: str) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    try:
        return as_utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError as exc:
        raise WorkflowError(f"Parameter {key!r}: {value!r} is not an ISO 8601 datetime") from exc


def _parse_timestep(value: Any) -> int:
    spec = _PARAMETERS["timestep_s"]
    if value is None or value == "":
        value = spec.default
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise WorkflowError(f"Parameter 'timestep_s': {value!r} is not a number") from exc
    if not math.isfinite(number) or number != int(number):
        raise WorkflowError("Parameter 'timestep_s' must be a whole number of seconds")
    assert spec.minimum is not None and spec.maximum is not None
    if not spec.minimum <= number <= spec.maximum:
        raise WorkflowError(
            f"Parameter 'timestep_s' must be between {spec.minimum:g} and {spec.maximum:g} s"
        )
    return int(number)


@dataclass(frozen=True)
class RunSettings:
    """Validated parameters: first and last simulated time step (UTC) and the step length."""

    start: datetime
    end: datetime
    timestep_s: int

    @property
    def steps(self) -> int:
        return int((self.end - self.start).total_seconds() // self.timestep_s) + 1

    @property
    def stop(self) -> datetime:
        """The simulator's exclusive stop time: it runs ``(stop - start) / timestep`` steps."""
        return self.start + timedelta(seconds=self.steps * self.timestep_s)


def run_settings(params: dict[str, Any], energy_system: esdl.EnergySystem) -> RunSettings:
    """Validate the job parameters; a missing start or end is derived from the input profiles."""
    timestep = _parse_timestep(params.get("timestep_s"))
    start = _parse_datetime(params.get("start"), "start")
    end = _parse_datetime(params.get("end"), "end")
    if start is None or end is None:
        derived_start, derived_end = derive_period(energy_system)
        start = start or derived_start
        end = end or derived_end
    if end <= start:
        raise WorkflowError(f"The end ({end.isoformat()}) must be after the start ({start})")
    if (end - start).total_seconds() < timestep:
        raise WorkflowError("The period from start to end is shorter than one time step")
    return RunSettings(start=start, end=end, timestep_s=timestep)


#: What ``_simulate`` imports when it runs; a job process started ahead imports them first.
_SIMULATOR_MODULES = (
    "omotes_simulator_core.entities.esdl_object",
    "omotes_simulator_core.entities.simulation_configuration",
    "omotes_simulator_core.infrastructure.simulation_manager",
)


# --------------------------------------------------------------------------------------------
# Checks and error translation
# --------------------------------------------------------------------------------------------


def _assets(energy_system: esdl.EnergySystem) -> list[Any]:
    return [obj for obj in energy_system.eAllContents() if isinstance(obj, esdl.Asset)]


def _describe(asset: Any) -> str:
    return f"{type(asset).__name__} '{asset.name or asset.id}'"


def check_supported(energy_system: esdl.EnergySystem) -> None:
    """Refuse models the simulator cannot run here, before anything heavy is loaded.

    The frontend runs the same pre-flight check (:func:`omotes.preflight.check_model`) before
    it queues a job; this is the worker's own guard for a job that comes another way. ATES needs
    Rosim (Java, through pyjnius), downloaded from the internet on first use; it is not
    installable from PyPI, and a Java VM in a worker process that forks can hang: it is not among
    the supported types, so it is refused before the simulator builds its assets, which is where
    pyjnius would be loaded.
    """
    problems = check_model(describe(workflow), energy_system)
    if problems:
        shown = "; ".join(str(problem) for problem in problems[:10])
        more = f" and {len(problems) - 10} more" if len(problems) > 10 else ""
        raise WorkflowError(f"The simulator cannot run this model: {shown}{more}.")


def drop_catalogue_assets(energy_system: esdl.EnergySystem) -> int:
    """Remove assets kept outside the network (pipe catalogues in measures or templates).

    The simulator takes every ``esdl.Asset`` anywhere in the model for part of the network
    (pyesdl's ``get_all_instances_of_type``), and would fetch a catalogue pipe that names only
    its DN size from the Energy Data Repository. Returns how many were removed.
    """
    removed = catalogue_assets(energy_system)
    for asset in removed:
        container = asset.eContainer()
        feature = asset.eContainmentFeature()
        if feature.many:
            container.eGet(feature).remove(asset)
        else:
            container.eSet(feature, None)
    return len(removed)


def _unequal_port_assets(energy_system: esdl.EnergySystem) -> list[str]:
    found = []
    for asset in _assets(energy_system):
        n_in = sum(isinstance(p, esdl.InPort) for p in asset.port)
        n_out = sum(isinstance(p, esdl.OutPort) for p in asset.port)
        if n_in != n_out:
            found.append(f"{_describe(asset)} ({n_in} in, {n_out} out)")
    return found


def translate_error(exc: Exception, energy_system: esdl.EnergySystem) -> WorkflowError | None:
    """A :class:`WorkflowError` with a message a user can act on, for failures we know."""
    text = str(exc)
    if "Matrix is singular" in text:
        return WorkflowError(
            "The simulator could not solve the network (the matrix is singular). Check that every "
            "asset is connected and that supply and return carriers are not swapped on any port "
            "(e.g. on storage assets)."
        )
    if "number of in ports and out ports are not equal" in text:
        assets = _unequal_port_assets(energy_system)
        where = ": " + "; ".join(assets[:10]) if assets else ""
        more = f" and {len(assets) - 10} more" if len(assets) > 10 else ""
        return WorkflowError(
            "The simulator needs the same number of in ports and out ports on every asset "
            f"(joints included){where}{more}."
        )
    if "Failed to retrieve ESDL object for DN diameter" in text:
        return WorkflowError(
            "A pipe has only a nominal diameter (DN...) and no inner diameter; the simulator "
            f"would fetch it from the Energy Data Repository, which failed: {text}. Set the "
            "pipes' innerDiameter."
        )
    if "number of ports with prim in the name" in text or "ports with sec in the name" in text:
        return WorkflowError(
            "A heat exchanger or heat pump with four ports needs two ports named with 'Prim' and "
            f"two with 'Sec' ({text})."
        )
    return None


def explain_unexpected(exc: Exception, energy_system: esdl.EnergySystem) -> WorkflowError:
    """The user's message for a failure nobody foresaw: what the simulator said, with each
    asset it mentions by id named, and no traceback (that goes to the job's log for staff)."""
    text = " ".join(str(exc).split())[:500] or type(exc).__name__
    named = [
        _describe(asset)
        for asset in network_assets(energy_system)
        if asset.id and len(asset.id) > 3 and asset.id in text
    ]
    where = f" It concerns {', '.join(named[:10])}." if named else ""
    return WorkflowError(
        f"The simulator stopped on this model ({type(exc).__name__}: {text}).{where} "
        "Check the assets named; staff can see the details in the job's log."
    )


# --------------------------------------------------------------------------------------------
# The workflow
# --------------------------------------------------------------------------------------------

_PARAMETERS = {
    spec.key: spec
    for spec in (
        ParameterSpec(
            key="timestep_s",
            type=ParameterType.DURATION,
            title="Time step",
            description="Length of one simulated time step, in seconds.",
            default=3600,
            minimum=60,
            maximum=86400,
            derive="profile_timestep",
        ),
        ParameterSpec(
            key="start",
            type=ParameterType.DATETIME,
            title="Start",
            description="First simulated time step (UTC). Empty: the start of the input profiles.",
            default=None,
            derive="profile_start",
        ),
        ParameterSpec(
            key="end",
            type=ParameterType.DATETIME,
            title="End",
            description="Last simulated time step (UTC, included). Empty: the end of the input "
            "profiles.",
            default=None,
            derive="profile_end",
        ),
    )
}


@dataclass(frozen=True)
class _Clock:
    """Wall and CPU time of this process at one moment."""

    wall_s: float
    cpu_s: float

    @classmethod
    def now(cls) -> _Clock:
        return cls(time.perf_counter(), time.process_time())


def _log_timing(phase: str, began: _Clock) -> _Clock:
    """Log how long a phase of the run took, in wall and in CPU time of this process (the job's
    log shows where a run's time went; wall time well above CPU time is waiting: for InfluxDB,
    or for a core on a busy machine; bench/overhead.py reads these lines); returns now, the next
    phase's start."""
    now = _Clock.now()
    logger.info(
        "timing: %s took %.3f s (cpu %.3f s)",
        phase,
        now.wall_s - began.wall_s,
        now.cpu_s - began.cpu_s,
    )
    return now


@contextlib.contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    """The solver writes ``dump.csv`` into the current directory when the matrix is singular."""
    path.mkdir(parents=True, exist_ok=True)
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


class SimulatorWorkflow:
    """The plug-in object (see :class:`omotes.workflows.base.Workflow`)."""

    name = "simulator"
    version = _simulator_version()
    title = "Heat network simulation"
    description = (
        "Simulates the heat network of an ESDL time step by time step (omotes-simulator-core): "
        "flows, pressures, temperatures, heat supplied, demanded and lost per asset."
    )
    parameters: tuple[ParameterSpec, ...] = tuple(_PARAMETERS.values())
    default_time_limit_s = 3600
    supported_asset_types = SIMULATOR_ASSET_TYPES
    # The guess until the frontend has runs to learn from, on the reference machine of
    # omotes.estimation (a worker calibrating at 1 ms per asset and time step): the start, then
    # building the network costs about 0.1 s per asset and each time step 0.5 ms per asset.
    # Fitted to 20 runs of generated networks of 10 to 600 assets on a quiet 2-core machine
    # (bench/results/estimate.jsonl of 27 Nov; its workers calibrated at 1.6 ms): 200 assets
    # for 31 steps took 34-43 s there, 600 for 49 steps 121 s.
    runtime_prior = {"overhead_s": 3.0, "per_asset_s": 0.1, "per_asset_step_s": 5e-4}

    def prepare(self) -> None:
        """Import the simulator's modules (about 2 s of CPU) in a job process that waits for
        its job; the worker process itself never imports them (see the module docstring)."""
        for name in (*_SIMULATOR_MODULES, *READER_MODULES):
            importlib.import_module(name)

    def run(self, esdl: str, params: dict[str, Any], context: JobContext) -> WorkflowResult:
        """Simulate ``esdl`` and write its output to ``context.database``."""
        context.progress(0.0, "loading ESDL")
        began = _Clock.now()
        handler, energy_system = load_esdl(esdl)
        dropped = drop_catalogue_assets(energy_system)
        if dropped:
            logger.info("%d catalogue asset(s) outside the network left out", dropped)
        check_supported(energy_system)
        settings = run_settings(params, energy_system)
        client = InfluxClient(context.influx)
        aggregator = LogAggregator()

        def on_progress(fraction: float, message: str) -> None:
            share = min(max(fraction / _SIM_REPORTED_MAX, 0.0), 1.0)
            context.progress(_SIM_FIRST + (_SIM_LAST - _SIM_FIRST) * share, message)

        began = _log_timing("load_esdl", began)
        frame = self._simulate(handler, settings, context, client, aggregator, on_progress)
        began = _log_timing("simulate", began)

        context.progress(_SIM_LAST, "writing results")
        try:
            series = write_results(
                handler, frame, settings.start, settings.timestep_s, client, context.database
            )
        except InfluxError as exc:
            raise WorkflowError(f"The results could not be written to InfluxDB: {exc}") from exc
        began = _log_timing("write_results", began)
        messages = aggregator.messages()
        logger.info(
            "Simulator logged %d warnings/errors, aggregated into %d messages",
            aggregator.records,
            len(messages),
        )
        for message in messages:
            logger.debug("simulator %s: %s", message.severity, message.message)
        output_esdl = handler.to_string()
        _log_timing("output_esdl", began)
        context.progress(1.0, "done")
        return WorkflowResult(output_esdl=output_esdl, series=series, messages=messages)

    @staticmethod
    def _simulate(
        handler: EnergySystemHandler,
        settings: RunSettings,
        context: JobContext,
        client: InfluxClient,
        aggregator: LogAggregator,
        on_progress: Callable[[float, str], None],
    ) -> pd.DataFrame:
        from omotes_simulator_core.entities.esdl_object import EsdlObject
        from omotes_simulator_core.entities.simulation_configuration import (
            SimulationConfiguration,
        )
        from omotes_simulator_core.infrastructure.simulation_manager import SimulationManager

        config = SimulationConfiguration(
            simulation_id=context.job_id,
            name=f"job {context.job_id}",
            timestep=settings.timestep_s,
            start=settings.start,
            stop=settings.stop,
        )
        on_progress(0.0, f"simulating {settings.steps} time steps")
        with (
            _working_directory(context.workdir),
            profiles_from(client),
            collect_simulator_logs(aggregator),
        ):
            try:
                frame = SimulationManager(EsdlObject(handler), config).execute(on_progress)
            except WorkflowError:
                raise
            except Exception as exc:
                translated = translate_error(exc, handler.energy_system)
                if translated is not None:
                    raise translated from exc
                logger.exception("the simulator failed")
                raise explain_unexpected(exc, handler.energy_system) from exc
        if len(frame.index) != settings.steps:
            logger.warning("Simulator returned %d rows for %d steps", len(frame), settings.steps)
        return frame


workflow = SimulatorWorkflow()
