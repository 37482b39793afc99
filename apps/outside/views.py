"""Asking for the outside profiles of a model again: a button on the model's page and the API."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.jobs.models import Job
from apps.models.models import EsdlModel
from apps.models.views import render_model_page
from apps.outside.models import JobInput
from apps.outside.services import RetryRefused, retry_outside_profiles
from apps.sharing.access import require_edit, visible_to


def _editable_model(request, pk: int) -> EsdlModel:
    esdl_model = get_object_or_404(visible_to(request.user, EsdlModel).defer("esdl"), pk=pk)
    require_edit(request.user, esdl_model)
    return esdl_model


@require_POST
def retry(request, pk: int):
    """Fetch again the profiles a standard one stands in for; the page then shows the binding."""
    esdl_model = _editable_model(request, pk)
    try:
        count = retry_outside_profiles(esdl_model)
    except RetryRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return render_model_page(request, esdl_model, status=409)
    messages.success(request, f"{count} input profile(s) will be fetched again.")
    return redirect(esdl_model)


class RetryView(APIView):
    @extend_schema(
        request=None,
        responses={202: inline_serializer("Retry", {"refetching": serializers.IntegerField()})},
    )
    def post(self, request, pk: int) -> Response:
        """Fetch again the input profiles of a model that a standard profile stands in for
        (their source was not allowed, refused or unreachable). The model's
        ``profiles_status`` goes back to ``pending`` until the binder has tried (409 while it
        is being bound); ``refetching`` says how many."""
        esdl_model = _editable_model(request, pk)
        try:
            count = retry_outside_profiles(esdl_model)
        except RetryRefused as exc:
            return Response({"detail": " ".join(exc.messages)}, status=status.HTTP_409_CONFLICT)
        return Response({"refetching": count}, status=status.HTTP_202_ACCEPTED)


class JobInputSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobInput
        fields = [
            "kind",
            "esdl_id",
            "asset_name",
            "source",
            "fetched_at",
            "checksum",
            "stand_in_reason",
        ]


class JobInputsView(APIView):
    @extend_schema(responses={200: JobInputSerializer(many=True)})
    def get(self, request, pk) -> Response:
        """Where a job's input profiles and EDR pipes came from when it was submitted: per
        profile reference the source, time fetched and checksum of the copy, or why the
        standard profile stood in."""
        job = get_object_or_404(visible_to(request.user, Job).only("id"), pk=pk)
        return Response(JobInputSerializer(job.outside_inputs.all(), many=True).data)
