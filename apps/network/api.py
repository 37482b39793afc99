"""REST API of the network map: a model's or a job's network, a job's results per asset.

Every object is fetched among those the user may see (:func:`apps.sharing.access.visible_to`),
so an outsider gets 404 and learns nothing; bad parameters answer 400 naming them, an InfluxDB
that cannot answer 503, all in the API's one error shape (``designtoolkit.api_errors``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.comparison.api import ResultsUnavailable
from apps.jobs.models import Job, JobRecord
from apps.models.models import EsdlModel
from apps.network.services import network_of_text
from apps.network.values import (
    AGGREGATES,
    MOMENT,
    UnknownQuantity,
    asset_summary,
    map_quantities,
    moment_values,
    period_values,
    readings_for,
    result_period,
)
from apps.sharing.access import visible_to
from designtoolkit.api_errors import error_response
from omotes.influx import InfluxError

NETWORK = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=(
        "A GeoJSON FeatureCollection: one Feature per asset (Point, or LineString for a "
        "pipe), properties asset_id, name, type (ESDL class), category (producer, consumer, "
        "storage, conversion, joint, pipe, other), dn (pipes, mm), attributes [{name, value, "
        "unit}]. ``layout`` is ``geographic`` (coordinates are WGS84 lon, lat) or "
        "``schematic`` (x, y in 0..1000 from the connections: the model has no locations). "
        "``notes`` say what could not be drawn."
    ),
)


class ModelNetworkView(APIView):
    @extend_schema(responses={200: NETWORK})
    def get(self, request, pk: int) -> Response:
        """The model's network for the map, from its ESDL geometry (or a schematic layout)."""
        esdl_model = get_object_or_404(
            visible_to(request.user, EsdlModel).only("id", "esdl"), pk=pk
        )
        return Response(network_of_text(esdl_model.esdl))


def _job(request, pk) -> Job:
    return get_object_or_404(visible_to(request.user, Job).defer("output_esdl", "log_tail"), pk=pk)


def _results_gone(job: Job) -> bool:
    return JobRecord.objects.filter(job=job, results_deleted_at__isnull=False).exists()


class JobNetworkView(APIView):
    @extend_schema(responses={200: NETWORK})
    def get(self, request, pk) -> Response:
        """The network the job ran (its own ESDL), and ``quantities`` (key, label, unit) its
        results can colour the map by: empty while it runs, after it failed or once its results
        were deleted."""
        job = _job(request, pk)
        network = network_of_text(job.esdl)
        quantities = [] if _results_gone(job) else map_quantities(job, network)
        return Response({**network, "quantities": quantities})


class ValuesQuerySerializer(serializers.Serializer):
    quantity = serializers.CharField(
        max_length=200, help_text="a key from the job network's quantities, e.g. heat_loss"
    )
    aggregate = serializers.ChoiceField(
        choices=[*AGGREGATES, MOMENT],
        default="mean",
        help_text="over the whole period, or ``at`` one moment (give ``time``)",
    )
    time = serializers.DateTimeField(
        required=False, help_text="ISO 8601 (UTC without an offset); with aggregate=at"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["aggregate"] == MOMENT and "time" not in attrs:
            raise serializers.ValidationError({"time": ["Give a time with aggregate=at."]})
        return attrs


def _epoch_s(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


class JobNetworkValuesView(APIView):
    @extend_schema(
        parameters=[ValuesQuerySerializer],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description=(
                    "quantity, unit (SI), aggregate, time, period {start, end, step_s}, "
                    "values {asset_id: number or null}, min and max of the values"
                ),
            ),
            404: error_response("a job the user may not see, or no such results"),
            503: error_response("InfluxDB could not answer"),
        },
    )
    def get(self, request, pk) -> Response:
        """One value per asset of a result quantity: its mean, max or min over the period, or
        its value at one moment, to colour the network map by."""
        job = _job(request, pk)
        query = ValuesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        quantity, aggregate = query.validated_data["quantity"], query.validated_data["aggregate"]
        if _results_gone(job):
            raise NotFound("The results of this job were deleted.")
        network = network_of_text(job.esdl)
        try:
            readings = readings_for(job, network, quantity)
            period = result_period(job)
            if aggregate == MOMENT:
                at_s = _epoch_s(query.validated_data["time"])
                if period and not period.start_s <= at_s <= period.end_s:
                    bounds = period.to_dict()
                    message = f"Give a time from {bounds['start']} to {bounds['end']}."
                    raise ValidationError({"time": [message]})
                values = moment_values(job, readings, at_s, period.step_s if period else 1)
                moment = datetime.fromtimestamp(at_s, UTC).isoformat().replace("+00:00", "Z")
            else:
                stats = period_values(job, readings, quantity)
                values = {asset_id: row[aggregate] for asset_id, row in stats.items()}
                moment = None
        except UnknownQuantity as exc:
            raise NotFound(str(exc)) from exc
        except InfluxError as exc:
            raise ResultsUnavailable(f"The results could not be read: {exc}") from exc
        present = [v for v in values.values() if v is not None]
        unit = next((q["unit"] for q in map_quantities(job, network) if q["key"] == quantity), "")
        return Response(
            {
                "quantity": quantity,
                "unit": unit,
                "aggregate": aggregate,
                "time": moment,
                "period": period.to_dict() if period else None,
                "values": values,
                "min": min(present) if present else None,
                "max": max(present) if present else None,
            }
        )


class AssetResultsQuerySerializer(serializers.Serializer):
    asset_id = serializers.CharField(max_length=200)


class JobAssetResultsView(APIView):
    @extend_schema(
        parameters=[AssetResultsQuerySerializer],
        responses={
            200: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="asset_id, outputs [{field, unit (SI), mean, max, min}]",
            ),
            404: error_response("a job the user may not see, or no such results"),
            503: error_response("InfluxDB could not answer"),
        },
    )
    def get(self, request, pk) -> Response:
        """A summary of one asset's outputs over the period: mean, max and min of each."""
        job = _job(request, pk)
        query = AssetResultsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        asset_id = query.validated_data["asset_id"]
        if _results_gone(job):
            raise NotFound("The results of this job were deleted.")
        try:
            outputs = asset_summary(job, asset_id)
        except InfluxError as exc:
            raise ResultsUnavailable(f"The results could not be read: {exc}") from exc
        return Response({"asset_id": asset_id, "outputs": outputs})
