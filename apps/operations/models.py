"""Where a job came from, for following it through the logs of every process."""

from __future__ import annotations

from django.db import models


class JobOrigin(models.Model):
    """The web request that submitted a job: its id is on the log lines of the web app, the
    dispatcher, the events consumer and the worker (sent in the job request), so
    ``grep <request_id> var/log/*.log`` tells the job's story."""

    job = models.OneToOneField(
        "jobs.Job", on_delete=models.CASCADE, primary_key=True, related_name="origin"
    )
    request_id = models.CharField(max_length=100, db_index=True)

    def __str__(self) -> str:
        return f"job {self.job_id} from request {self.request_id}"


def request_ids(job_ids) -> dict[str, str]:
    """The request ids of these jobs (by job id as text); jobs without one are absent."""
    return {
        str(job_id): request_id
        for job_id, request_id in JobOrigin.objects.filter(job_id__in=list(job_ids)).values_list(
            "job_id", "request_id"
        )
    }
