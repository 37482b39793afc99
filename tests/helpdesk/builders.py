"""A failed job with everything a ticket captures (error, parameters, version, worker log)."""

from __future__ import annotations

from apps.jobs import lifecycle
from apps.jobs.models import Job
from tests.jobs.builders import make_job

ERROR = "Solver diverged at time step 17 <unstable loop>"
LOG_TAIL = "INFO step 16 ok\nERROR step 17: pressure < 0 in Pipe_3\n"


def failed_job(owner) -> Job:
    job = make_job(owner)
    Job.objects.filter(pk=job.pk).update(
        workflow_version="1.2.3", params={"timestep_s": 3600, "start": "2019-01-01T00:00:00Z"}
    )
    lifecycle.transition(job.pk, lifecycle.SUBMIT)
    lifecycle.transition(job.pk, lifecycle.START, run_id="r1", worker_id="worker-a")
    lifecycle.transition(
        job.pk, lifecycle.FAIL, run_id="r1", worker_id="worker-a", error=ERROR, log_tail=LOG_TAIL
    )
    return Job.objects.select_related("esdl_model").get(pk=job.pk)


def make_staff(make_user, email: str = "support@example.com"):
    staff = make_user(email)
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    return staff
