"""Keep InfluxDB read grants in step with who may see which job.

Each receiver only schedules a service call for after the commit (InfluxDB is not part of the
transaction: a grant for a job whose creation rolls back would leak it), and with ``robust`` so
an unreachable InfluxDB never fails the request that changed access; ``manage.py
sync_influx_grants`` heals what was missed.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models.signals import post_delete, post_save

from apps.influxaccess import services
from apps.influxaccess.models import InfluxCredential
from apps.jobs.models import Job
from apps.sharing.signals import access_changed

logger = logging.getLogger(__name__)


def connect() -> None:
    access_changed.connect(on_access_changed, dispatch_uid="influxaccess.access_changed")
    post_save.connect(on_job_saved, sender=Job, dispatch_uid="influxaccess.job_saved")
    post_delete.connect(on_job_deleted, sender=Job, dispatch_uid="influxaccess.job_deleted")
    post_delete.connect(
        on_credential_deleted, sender=InfluxCredential, dispatch_uid="influxaccess.cred_deleted"
    )


def on_access_changed(sender, users=(), **kwargs) -> None:
    user_ids = set(users)
    if user_ids:
        transaction.on_commit(lambda: services.sync_users(user_ids), robust=True)


def on_job_saved(sender, instance: Job, created: bool, **kwargs) -> None:
    if created:
        job_id = instance.pk
        transaction.on_commit(lambda: services.sync_viewers_of_job(job_id), robust=True)


def on_job_deleted(sender, instance: Job, **kwargs) -> None:
    database = instance.database
    transaction.on_commit(lambda: services.revoke_database_everywhere(database), robust=True)


def on_credential_deleted(sender, instance: InfluxCredential, **kwargs) -> None:
    """A credential deleted with its user (cascade) must not leave its InfluxDB user behind."""
    username = instance.influx_username
    transaction.on_commit(lambda: services.drop_influx_user(username), robust=True)
