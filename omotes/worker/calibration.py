"""A worker's calibration run: how fast this worker simulates, measured when it starts (R18).

The runtime estimate needs a prior before there is any history, and a way to tell a fast worker's
runs from a slow one's (:mod:`omotes.estimation`). Each worker therefore simulates a tiny
generated heat network (:data:`ASSETS` assets, :data:`STEPS` hourly steps, made-up demand
profiles, no InfluxDB) and announces the seconds per asset and time step it took.

It runs in a child process of its own, in the background while the worker already announces and
takes jobs: the simulator's import (seconds on a busy host) and memory stay out of the worker, a
crash of it costs only the figure, and no job waits for it. The simulation itself takes about a
second; of :data:`REPEATS` runs the fastest counts (the first pays for lazy imports). It is
timed in CPU seconds, not on the wall clock: it says how fast the machine is, not how busy it
was in that second (that the worker probes all along, :mod:`omotes.worker.contention`). A worker
whose venv has no simulator (the optimiser's) runs it with its peer Python
(``OMOTES_PEER_PYTHON``); one with neither announces 0 (not measured).

``python -m omotes.worker.calibration`` prints the figures as one JSON line.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from omotes.workflows.peer import peer_python

logger = logging.getLogger(__name__)

ASSETS = 12
STEPS = 24
STEP_S = 3600
REPEATS = 2
#: Longer than this (a machine under heavy load, a hung import) and the worker goes without.
TIMEOUT_S = 120.0
#: ``OMOTES_CALIBRATE=0`` turns the calibration off (the worker announces 0).
ENABLED_ENV = "OMOTES_CALIBRATE"


@dataclass(frozen=True)
class Calibration:
    """The fastest calibration run: its size and CPU seconds, and seconds per asset and step."""

    assets: int
    steps: int
    seconds: float

    @property
    def s_per_asset_step(self) -> float:
        return self.seconds / (self.assets * self.steps)


def measure(assets: int = ASSETS, steps: int = STEPS, repeats: int = REPEATS) -> Calibration:
    """Simulate a generated network of ``assets`` for ``steps`` hourly steps in this process;
    the fastest of ``repeats`` runs. Needs omotes-simulator-core."""
    import pandas as pd
    from esdl.esdl_handler import EnergySystemHandler
    from omotes_simulator_core.entities.esdl_object import EsdlObject
    from omotes_simulator_core.entities.simulation_configuration import SimulationConfiguration
    from omotes_simulator_core.infrastructure.simulation_manager import SimulationManager

    from omotes.esdl_generator import InputProfile, network_text
    from omotes.workflows.simulator_profiles import profiles_read_by

    profile = InputProfile()
    hours = [profile.start + timedelta(hours=h) for h in range(steps + 1)]

    def demand(esdl_profile: Any) -> pd.DataFrame:
        """A daily cycle around half of the consumer's peak, in W (the generator's profiles
        are MW per MW of peak, scaled by ``multiplier``)."""
        peak_w = float(esdl_profile.multiplier) * 1e6
        values = [peak_w * (0.5 + 0.3 * math.sin(2 * math.pi * h / 24)) for h in range(len(hours))]
        return pd.DataFrame({"date": hours, "values": values})

    text = network_text(assets)
    fastest = math.inf
    logging.disable(logging.WARNING)  # the simulator warns per asset of defaults it assumes
    with profiles_read_by(demand):
        for _ in range(repeats):
            handler = EnergySystemHandler()
            handler.load_from_string(text)
            config = SimulationConfiguration(
                simulation_id=uuid.uuid4(),
                name="calibration",
                timestep=STEP_S,
                start=profile.start,
                stop=profile.start + timedelta(seconds=steps * STEP_S),
            )
            began = time.process_time()
            SimulationManager(EsdlObject(handler), config).execute(lambda *_: None)
            fastest = min(fastest, time.process_time() - began)
    return Calibration(assets, steps, fastest)


def interpreter() -> str | None:
    """The Python that can run the calibration: this one if it has the simulator, else the
    peer's; None when neither is there."""
    if importlib.util.find_spec("omotes_simulator_core") is not None:
        return sys.executable
    return peer_python()


def enabled() -> bool:
    return os.environ.get(ENABLED_ENV, "1").strip().lower() not in ("0", "false", "off", "no")


def calibrate(timeout_s: float = TIMEOUT_S) -> Calibration | None:
    """Run :func:`measure` in a child process; None (logged) when it cannot be measured."""
    python = interpreter()
    if python is None:
        logger.info("no simulator to calibrate with: this worker announces no speed")
        return None
    try:
        done = subprocess.run(
            [python, "-m", "omotes.worker.calibration"],
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except (subprocess.TimeoutExpired, OSError) as exc:
        logger.warning("calibration run failed (%s): this worker announces no speed", exc)
        return None
    try:
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        calibration = Calibration(
            int(figures["assets"]), int(figures["steps"]), float(figures["seconds"])
        )
    except (ValueError, KeyError, IndexError, TypeError):
        logger.warning("calibration run failed: %s", done.stderr[-500:])
        return None
    return calibration if calibration.seconds > 0 else None


def main() -> int:
    calibration = measure()
    print(json.dumps({**asdict(calibration), "s_per_asset_step": calibration.s_per_asset_step}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
