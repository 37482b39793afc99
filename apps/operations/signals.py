"""A job created while a web request is served remembers that request's id."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from apps.jobs.models import Job
from apps.operations.models import JobOrigin
from omotes import logs


@receiver(post_save, sender=Job, dispatch_uid="operations.job_origin")
def remember_request(sender, instance: Job, created: bool, **kwargs) -> None:
    request_id = logs.current("request_id")
    if created and request_id:
        JobOrigin.objects.create(job=instance, request_id=request_id)
