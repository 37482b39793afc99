from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.jobs.api.serializers import (
    JobCreateSerializer,
    JobSerializer,
    SeriesDataSerializer,
    SeriesSerializer,
    WorkflowSerializer,
)
from apps.jobs.models import Job
from apps.jobs.services import cancel_job, delete_job, submit_job
from apps.jobs.workflows import known_workflows
from apps.models.models import EsdlModel
from apps.models.services import ProfilesNotReady
from apps.results.services import SeriesNotFound, read_series
from apps.sharing.access import require_edit, require_owner, visible_to
from apps.sharing.api import SharingActions
from designtoolkit.api_errors import Conflict, error_response


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

    def get_queryset(self):
        return visible_to(self.request.user, Job).defer("esdl", "output_esdl")

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

    def perform_destroy(self, job: Job) -> None:
        """Delete the job and its results (InfluxDB database); a running job is stopped first.
        Only the owner of its project may (not its submitter as such)."""
        require_owner(self.request.user, job)
        delete_job(job)

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
