"""No job database outlives its job row.

``delete_job`` drops a job's InfluxDB database itself, but a job also goes away when its owner, its
model or its project is deleted (database cascades, the admin, ``User.delete()``). Every such path
sends ``pre_delete`` for each job, so the job's database is dropped here, once the transaction has
committed (a rolled-back delete keeps its results), with the copies of its series kept in Redis
for charts (:mod:`apps.results.points`).
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from apps.jobs.models import Job
from apps.results.influx import influx_client
from apps.results.points import forget_points
from omotes.influx import InfluxError

logger = logging.getLogger(__name__)


def drop_database_quietly(database: str) -> None:
    try:
        influx_client().drop_database(database)
    except InfluxError:
        # Left for an operator: SHOW DATABASES lists job_<id> databases without a job row.
        logger.exception("job database not dropped", extra={"database": database})


@receiver(pre_delete, sender=Job, dispatch_uid="results-drop-job-database")
def drop_results_of_deleted_job(sender, instance: Job, **kwargs) -> None:
    database, job_id = instance.database, instance.pk
    if "series" in instance.get_deferred_fields():
        series = Job.objects.filter(pk=job_id).values_list("series", flat=True).first() or []
    else:
        series = instance.series

    def drop() -> None:
        forget_points(job_id, series)
        drop_database_quietly(database)

    transaction.on_commit(drop)
