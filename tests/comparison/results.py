"""Jobs with results without running a simulator: Job rows written with the ORM as the events
consumer leaves them after a run (status succeeded, ``series`` filled), and their points written
straight into each job's InfluxDB database in the worker's schema (see ``omotes.results``)."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from apps.jobs.models import Job
from apps.models.models import EsdlModel, Project
from apps.results.influx import influx_client
from apps.results.points import forget_points
from omotes.influx import encode_line

START_S = 1_546_300_800  # 2019-01-01T00:00:00Z
HOUR_S = 3600
#: Databases written in this test session: the same results are written once and reused by
#: every test that asks for them (job ids derive from what is stored); dropped at session end.
WRITTEN: set[str] = set()


@dataclass(frozen=True)
class Asset:
    asset_id: str
    name: str
    asset_class: str
    fields: tuple[str, ...]


PRODUCER = Asset("prod-1", "Producer 1", "GenericProducer", ("heat_supplied",))
CONSUMER = Asset("cons-1", "Consumer 1", "HeatingDemand", ("heat_demand",))
PIPE = Asset("pipe-1", "Pipe 1", "Pipe", ("heat_loss", "In.temperature"))
ASSETS = (PRODUCER, CONSUMER, PIPE)
UNITS = {
    "heat_supplied": "W",
    "heat_supply_set_point": "W",
    "heat_demand": "W",
    "heat_loss": "W",
    "electricity_consumption": "W",
    "In.temperature": "K",
    "Out.temperature": "K",
}
#: Fields written as a flat line (a supply temperature held at 80 °C).
FLAT = {"Out.temperature": 353.15}


def value_at(asset: Asset, field: str, step: int, scale: float) -> float:
    """A daily wave with some noise, scaled per variation (the noise is the same for all)."""
    if field in FLAT:
        return FLAT[field]
    base = {
        "heat_supplied": 2e6,
        "heat_supply_set_point": -2e6,  # stored negative, as the simulator does
        "heat_demand": 1.8e6,
        "heat_loss": 2e5,
        "electricity_consumption": 5e5,
        "In.temperature": 350.0,
    }
    noise = random.Random(f"{asset.asset_id}{field}{step}").uniform(-0.1, 0.1)
    return base[field] * scale * (1.0 + 0.3 * math.sin(2 * math.pi * step / 24) + noise)


def make_project(owner, name: str = "Variations") -> Project:
    return Project.objects.create(owner=owner, name=name)


def write_points(job: Job, assets: tuple[Asset, ...], steps: int, scale: float) -> None:
    client = influx_client()
    client.create_database(job.database)
    lines = (
        encode_line(
            asset.asset_class,
            {"asset_id": asset.asset_id, "asset_name": asset.name},
            {f: value_at(asset, f, step, scale) for f in asset.fields},
            START_S + step * HOUR_S,
        )
        for asset in assets
        for step in range(steps)
    )
    client.write_lines(job.database, (line for line in lines if line))


def store_job(
    project: Project,
    model_name: str,
    *,
    scale: float = 1.0,
    steps: int = 8760,
    assets: tuple[Asset, ...] = ASSETS,
    kpis: list[dict] | None = None,
    variation_of: EsdlModel | None = None,
) -> Job:
    """A succeeded job of a new model in ``project`` with ``steps`` hourly points per series."""
    # The test database's name keeps two test sessions on one InfluxDB (a developer's run beside
    # the full suite) from sharing, and dropping, each other's results.
    session = settings.DATABASES["default"]["NAME"]
    key = f"{session}|{model_name}|{scale}|{steps}|{','.join(a.asset_id for a in assets)}"
    esdl_model = EsdlModel.objects.create(
        project=project, name=model_name, esdl="", size_bytes=0, variation_of=variation_of
    )
    job = Job.objects.create(
        id=uuid.uuid5(uuid.NAMESPACE_URL, f"dt-compare-test:{key}"),
        owner=project.owner,
        esdl_model=esdl_model,
        workflow="simulator",
        esdl="",
        time_limit_s=60,
        status=Job.Status.SUCCEEDED,
        progress=1.0,
        finished_at=timezone.now(),
        output_esdl=f"<esdl:EnergySystem name='{model_name}'/>",
        kpis=kpis or [],
        series=[
            {
                "asset_id": asset.asset_id,
                "asset_name": asset.name,
                "asset_class": asset.asset_class,
                "measurement": asset.asset_class,
                "field": f,
                "unit": UNITS[f],
                "points": steps,
            }
            for asset in assets
            for f in asset.fields
        ],
    )
    # Job ids repeat between test runs: derive the KPIs again and read the series from InfluxDB
    # again rather than take a cached answer.
    cache.delete(f"dt:compare:kpis:{job.pk}")
    forget_points(job.pk, job.series)
    # The product drops a job's database when the job goes: written once is not enough.
    if job.database not in WRITTEN or job.database not in influx_client().list_databases():
        write_points(job, assets, steps, scale)
        WRITTEN.add(job.database)
    return job


def drop_written() -> None:
    for database in sorted(WRITTEN):
        influx_client().drop_database(database)
    WRITTEN.clear()
