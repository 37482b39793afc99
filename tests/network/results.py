"""A finished job with results on a generated network, without running the simulator: the Job
row as the events consumer leaves it, its points written by the workers' own result writer
(:func:`omotes.results.write_outputs`) into a database of its own, dropped by the caller."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import numpy as np
from django.utils import timezone
from esdl import esdl

from apps.jobs.models import Job
from apps.models.esdl_document import EsdlDocument
from apps.models.models import Project
from apps.results.influx import influx_client
from omotes.results import plan_outputs, write_outputs
from tests.corpus import generated_network

START = datetime(2019, 1, 1, tzinfo=UTC)
STEP_S = 3600
BASE = {"heat_loss": 1000.0, "temperature": 350.0, "heat_supplied": 2e6, "heat_demand": 1e5}


def value(asset_index: int, quantity: str, step: int) -> float:
    """A different level per asset and a ramp over time: mean and max tell assets apart."""
    return BASE[quantity] * (1 + 0.1 * asset_index) + step


def columns_of(asset) -> list[tuple[str, str]]:
    """What the simulator writes, in small: heat flows on the first port, port temperatures."""
    first = asset.port[0].id
    if isinstance(asset, esdl.Pipe):
        return [(first, "heat_loss"), *((p.id, "temperature") for p in asset.port)]
    if isinstance(asset, esdl.Producer):
        return [(first, "heat_supplied")]
    if isinstance(asset, esdl.Consumer):
        return [(first, "heat_demand")]
    return [(p.id, "temperature") for p in asset.port]


def finished_job(project: Project, steps: int = 48, assets: int = 10) -> Job:
    text = generated_network(assets, profiles=False).decode()
    document = EsdlDocument(text)
    network = list(document.assets())
    index = {asset.id: i for i, asset in enumerate(network)}
    columns = [column for asset in network for column in columns_of(asset)]
    model = project.esdl_models.create(name="Generated", esdl=text, size_bytes=len(text))
    job = Job.objects.create(
        owner=project.owner,
        esdl_model=model,
        workflow="simulator",
        esdl=text,
        time_limit_s=60,
        status=Job.Status.SUCCEEDED,
        progress=1.0,
        finished_at=timezone.now(),
        id=uuid.uuid4(),
    )

    def values_of(output) -> np.ndarray:
        i = index[output.asset.id]
        return np.array(
            [[value(i, c.quantity, step) for c in output.columns] for step in range(steps)]
        )

    series = write_outputs(
        plan_outputs(document.energy_system, columns),
        values_of,
        START,
        STEP_S,
        steps,
        influx_client(),
        job.database,
        add_profiles=False,
    )
    job.series = [s.to_dict() for s in series]
    job.save(update_fields=["series"])
    return job
