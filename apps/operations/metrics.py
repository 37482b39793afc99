"""Prometheus metrics of the web app: ``/metrics``, and the job and worker figures read from
PostgreSQL (the system of record) each time Prometheus scrapes.

Request latency and counts per route come from django-prometheus (``django_http_*``); the
InfluxDB counters from :mod:`omotes.metrics`. With several web processes
(``PROMETHEUS_MULTIPROC_DIR`` set, as scripts/run.sh does) the per-process figures are summed
over all of them, whichever process answers the scrape.

Who may scrape: a client on ``DT_METRICS_ALLOWED_NETWORKS`` (default: this host only), or one
that sends ``Authorization: Bearer <DT_METRICS_TOKEN>``.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from datetime import timedelta

from django.conf import settings
from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from apps.jobs.models import Job, Worker

#: Upper bounds (seconds) of the job duration histogram: from a sleeper's second to a day-long
#: optimisation.
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 86400)

DISPATCHED = Counter("dtk_jobs_dispatched", "Jobs the dispatcher sent to a worker queue")
RECONCILED = Counter(
    "dtk_jobs_reconciled", "Stuck jobs the dispatcher queued again or failed (R26)"
)
EVENTS_LAG = Gauge(
    "dtk_events_lag_seconds",
    "Age of the last worker event the events consumer applied, when it applied it",
)


class JobsCollector:
    """Jobs per state, the oldest queued job, job durations and worker slots, from PostgreSQL."""

    def collect(self):
        jobs = GaugeMetricFamily(
            "dtk_jobs", "Jobs per state and workflow", labels=["state", "workflow"]
        )
        for row in Job.objects.order_by().values("status", "workflow").annotate(n=Count("pk")):
            jobs.add_metric([row["status"], row["workflow"]], row["n"])
        yield jobs

        oldest = GaugeMetricFamily(
            "dtk_queue_oldest_age_seconds",
            "Age of the oldest queued job per workflow",
            labels=["workflow"],
        )
        now = timezone.now()
        for row in (
            Job.objects.filter(status=Job.Status.QUEUED)
            .order_by()
            .values("workflow")
            .annotate(first=Min("created_at"))
        ):
            oldest.add_metric([row["workflow"]], (now - row["first"]).total_seconds())
        yield oldest

        yield self._durations()
        yield self._slots()

    def _durations(self) -> HistogramMetricFamily:
        """Run time (start to end) of every ended job that ran, as a cumulative histogram; jobs
        deleted by retention leave it, which Prometheus reads as a counter reset."""
        family = HistogramMetricFamily(
            "dtk_job_duration_seconds",
            "Run time of ended jobs, by workflow and outcome",
            labels=["workflow", "outcome"],
        )
        duration = ExpressionWrapper(
            F("finished_at") - F("started_at"), output_field=DurationField()
        )
        counts = {
            f"le_{bound}": Count("pk", filter=Q(duration__lte=timedelta(seconds=bound)))
            for bound in DURATION_BUCKETS
        }
        rows = (
            Job.objects.filter(
                status__in=Job.TERMINAL, started_at__isnull=False, finished_at__isnull=False
            )
            .order_by()
            .annotate(duration=duration)
            .values("workflow", "status")
            .annotate(total=Count("pk"), seconds=Sum("duration"), **counts)
        )
        for row in rows:
            buckets = [(str(float(b)), row[f"le_{b}"]) for b in DURATION_BUCKETS]
            buckets.append(("+Inf", row["total"]))
            seconds = row["seconds"].total_seconds() if row["seconds"] else 0.0
            family.add_metric([row["workflow"], row["status"]], buckets, seconds)
        return family

    def _slots(self) -> GaugeMetricFamily:
        """Slots of live workers per workflow offered, busy (running a job) or idle."""
        family = GaugeMetricFamily(
            "dtk_worker_slots",
            "Slots of live workers per workflow, busy or idle",
            labels=["workflow", "state"],
        )
        running = dict(
            Job.objects.filter(status=Job.Status.RUNNING)
            .order_by()
            .values("worker_id")
            .annotate(n=Count("pk"))
            .values_list("worker_id", "n")
        )
        totals: dict[tuple[str, str], int] = {}
        for worker in Worker.objects.alive():
            busy = min(worker.slots, running.get(worker.worker_id, 0))
            for description in worker.workflows:
                name = description["name"]
                totals[(name, "busy")] = totals.get((name, "busy"), 0) + busy
                totals[(name, "idle")] = totals.get((name, "idle"), 0) + worker.slots - busy
        for (workflow, state), value in sorted(totals.items()):
            family.add_metric([workflow, state], value)
        return family


_DATABASE_REGISTRY = CollectorRegistry(auto_describe=False)
_DATABASE_REGISTRY.register(JobsCollector())


def may_scrape(request: HttpRequest) -> bool:
    """A bearer token equal to ``DT_METRICS_TOKEN``, or a client on an allowed network."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(header.encode(), f"Bearer {token}".encode()):
        return True
    try:
        client = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(n) for n in settings.METRICS_ALLOWED_NETWORKS)


def process_registry():
    """This process's metrics, or every web process's with ``PROMETHEUS_MULTIPROC_DIR``."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return registry


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not may_scrape(request):
        return HttpResponse(
            "Metrics need a bearer token (DT_METRICS_TOKEN) or an allowed network.\n",
            status=403,
            content_type="text/plain",
        )
    body = generate_latest(process_registry()) + generate_latest(_DATABASE_REGISTRY)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
