"""``manage.py cost_jobs [--all]``: cost succeeded jobs that have no costing yet (jobs that ended
before costing existed), or all of them again with ``--all`` (after a new default version).

New jobs need none of this: they are costed when their result arrives (apps.jobs.events).
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from apps.jobs.models import Job
from apps.keyfigures.costing import cost_finished_job


class Command(BaseCommand):
    help = "Cost succeeded jobs without a costing (or all with --all)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--all", action="store_true", help="cost every succeeded job again")

    def handle(self, *args, **options) -> None:
        jobs = Job.objects.filter(status=Job.Status.SUCCEEDED)
        if not options["all"]:
            jobs = jobs.filter(costing__isnull=True)
        for job_id in jobs.values_list("pk", flat=True).iterator():
            costed = cost_finished_job(job_id)
            outcome = f"not costed: {costed.error}" if costed.error else f"{len(costed.kpis)} KPIs"
            self.stdout.write(f"{job_id}: {outcome}")
