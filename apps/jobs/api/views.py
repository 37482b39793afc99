from __future__ import annotations

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.jobs.api.serializers import (
    EstimateSerializer,
    JobCreateSerializer,
    JobRenameSerializer,
    JobSerializer,
    SeriesDataSerializer,
    SeriesSerializer,
    SeriesTotalSerializer,
    WorkflowSerializer,
)
from apps.jobs.estimates import outlook_text, queue_outlook
from apps.jobs.filters import JobFilter
from apps.jobs.models import Job
from apps.jobs.services import (
    cancel_job,
    delete_job,
    prepare_submission,
    rename_job,
    submit_job,
)
from apps.jobs.workflows import known_workflows, time_limit_for
from apps.models.models import EsdlModel
from apps.models.services import ProfilesNotReady
from apps.results.services import SeriesNotFound, read_series
from apps.results.totals import read_total
from apps.sharing.access import open_for_support, require_edit, require_owner, visible_to
from apps.sharing.api import SharingActions
from designtoolkit.api_errors import Conflict, error_response
from designtoolkit.pagination import MAX_PAGE, OptionalPages


class WorkflowListView(APIView):
    @extend_schema(responses=WorkflowSerializer(many=True))
    def get(self, request):
        """Workflows workers announced, with parameters and defaults; ``available`` when a live
        worker offers it now (jobs of an unavailable workflow wait in the queue)."""
        rows = [
            {
                **description.to_dict(),
                "available": offered is not None,
                "workers": offered.workers if offered else 0,
                "slots": offered.slots if offered else 0,
            }
            for description, offered in known_workflows()
        ]
        return Response(WorkflowSerializer(rows, many=True).data)


class JobViewSet(
    SharingActions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = JobSerializer
    pagination_class = OptionalPages

    def get_queryset(self):
        jobs = visible_to(self.request.user, Job).defer("esdl", "output_esdl")
        if self.action == "list":
            jobs = JobFilter.from_query(self.request.query_params).apply(jobs, self.request.user)
        return jobs.select_related("esdl_model", "record", "costing__version")

    @extend_schema(request=JobRenameSerializer, responses=JobSerializer)
    def partial_update(self, request, pk=None):
        """Rename the job (``{"name": "..."}``; empty: the default name again). Those who may
        edit its model may (403 for viewers)."""
        job = self.get_object()
        require_edit(request.user, job)
        data = JobRenameSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        rename_job(job, data.validated_data["name"])
        return Response(JobSerializer(job).data)

    #: What staff answering a ticket about a job may read of it with ``?ticket=<number>``.
    SUPPORT_ACTIONS = ("retrieve", "series", "series_data")

    def get_object(self):
        """The job, or for staff answering a ticket that links to it, the job as its page shows
        it to them (recorded; the same rule as the page: :func:`open_for_support`)."""
        try:
            return super().get_object()
        except Http404:
            if self.action not in self.SUPPORT_ACTIONS:
                raise
            jobs = Job.objects.defer("esdl", "output_esdl")
            ticket = self.request.query_params.get("ticket")
            job = open_for_support(self.request.user, jobs, self.kwargs["pk"], ticket)
            if job is None:
                raise
            return job

    @extend_schema(
        parameters=[
            OpenApiParameter("project", int, description="jobs on the project's models"),
            OpenApiParameter("model", int, description="jobs on this model"),
            OpenApiParameter("workflow", str),
            OpenApiParameter("status", str, enum=Job.Status.values),
            OpenApiParameter("owner", str, description="who submitted: me, a user id or e-mail"),
            OpenApiParameter("page", int, description="a page of the list (with count, next)"),
            OpenApiParameter("page_size", int, description=f"jobs per page (at most {MAX_PAGE})"),
        ]
    )
    def list(self, request, *args, **kwargs):
        """The jobs the user may see, newest first, filtered; in pages when ``page`` or
        ``page_size`` is given (then ``{count, next, previous, results}``), else all at once."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=JobCreateSerializer, responses={201: JobSerializer})
    def create(self, request, *args, **kwargs):
        """Submit a job: run a workflow on a model with parameters (defaults fill the rest);
        409 while the model's input profiles are still being bound."""
        data = JobCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        esdl_model = get_object_or_404(
            visible_to(request.user, EsdlModel), pk=data.validated_data["model"]
        )
        require_edit(request.user, esdl_model)
        try:
            job = submit_job(
                request.user,
                esdl_model,
                data.validated_data["workflow"],
                data.validated_data["params"],
                data.validated_data["notify_email"],
            )
        except ProfilesNotReady as exc:
            raise Conflict(" ".join(exc.messages)) from exc
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=JobCreateSerializer, responses=EstimateSerializer)
    @action(detail=False, methods=["post"])
    def estimate(self, request):
        """How long a job with these parameters would run and when it would start, before it is
        submitted (the run form asks as the user changes it); 400 with the reasons, per
        parameter, when it could not be submitted."""
        data = JobCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        esdl_model = get_object_or_404(
            visible_to(request.user, EsdlModel), pk=data.validated_data["model"]
        )
        workflow = data.validated_data["workflow"]
        submission = prepare_submission(esdl_model, workflow, data.validated_data["params"])
        expected = submission.estimate()
        queue = queue_outlook(workflow, request.user.pk)
        time_limit_s = time_limit_for(submission.description)
        return Response(
            EstimateSerializer(
                {
                    "estimate": expected.to_dict(),
                    "queue": queue.to_dict(),
                    "time_limit_s": time_limit_s,
                    "text": outlook_text(expected, queue, time_limit_s),
                    "params": submission.params,
                    "sources": submission.sources,
                    "asset_total": submission.asset_total,
                    "steps": submission.steps,
                }
            ).data
        )

    def perform_destroy(self, job: Job) -> None:
        """Delete the job's results (InfluxDB database, output ESDL); a running job is stopped
        first. The job and its history stay, marked as such (R24). Only the owner of its project
        may (not its submitter as such)."""
        require_owner(self.request.user, job)
        delete_job(job, by=self.request.user)

    @extend_schema(
        request=None,
        responses={200: JobSerializer, 409: error_response("the job has already ended")},
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel a queued or running job (409 when it has already ended)."""
        job = self.get_object()
        require_edit(request.user, job)
        if not cancel_job(job, by=request.user):
            raise Conflict(f"The job has already ended ({job.status}).")
        job.refresh_from_db()
        return Response(JobSerializer(job).data)

    @extend_schema(responses=SeriesSerializer(many=True))
    @action(detail=True, methods=["get"])
    def series(self, request, pk=None):
        """The output time series of a finished job (asset, quantity, unit, number of points)."""
        job = self.get_object()
        return Response(SeriesSerializer(job.series, many=True).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("asset_id", str, required=True),
            OpenApiParameter(
                "field", str, required=True, description="quantity, e.g. heat_supplied"
            ),
        ],
        responses=SeriesDataSerializer,
    )
    @action(detail=True, methods=["get"], url_path="series/data")
    def series_data(self, request, pk=None):
        """All points of one output series: [epoch seconds, value] in the series' unit."""
        job = self.get_object()
        asset_id = request.query_params.get("asset_id", "")
        field = request.query_params.get("field", "")
        given = {"asset_id": asset_id, "field": field}
        if missing := [name for name, value in given.items() if not value]:
            raise ValidationError({name: ["Give this query parameter."] for name in missing})
        try:
            data = read_series(job, asset_id, field)
        except SeriesNotFound as exc:
            raise NotFound(str(exc)) from exc
        return Response(SeriesDataSerializer(data).data)

    @extend_schema(
        parameters=[
            OpenApiParameter("field", str, required=True, description="e.g. heat_demand"),
        ],
        responses=SeriesTotalSerializer,
    )
    @action(detail=True, methods=["get"], url_path="series/total")
    def series_total(self, request, pk=None):
        """One quantity summed over every asset that has it, per time step (e.g. the total heat
        demand of all consumers), in the quantity's SI unit."""
        job = self.get_object()
        field = request.query_params.get("field", "")
        if not field:
            raise ValidationError({"field": ["Give this query parameter."]})
        try:
            total = read_total(job, field)
        except SeriesNotFound as exc:
            raise NotFound(str(exc)) from exc
        return Response(SeriesTotalSerializer(total).data)
