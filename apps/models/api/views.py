from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from apps.models.api.serializers import EsdlModelSerializer, EsdlUploadSerializer, ProjectSerializer
from apps.models.models import EsdlModel, Project
from apps.models.services import upload_esdl_model
from apps.sharing.access import require_edit, visible_to
from apps.sharing.api import SharingActions
from designtoolkit.pagination import MAX_PAGE, OptionalPages

PAGE_PARAMETERS = [
    OpenApiParameter("page", int, description="a page of the list (with count, next)"),
    OpenApiParameter("page_size", int, description=f"rows per page (at most {MAX_PAGE})"),
]


class ProjectViewSet(
    SharingActions,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ProjectSerializer
    pagination_class = OptionalPages  # whole list, or pages with ?page= / ?page_size=

    def get_queryset(self):
        return visible_to(self.request.user, Project)

    @extend_schema(parameters=PAGE_PARAMETERS)
    def list(self, request, *args, **kwargs):
        """The projects the user may see; in pages when ``page`` or ``page_size`` is given
        (then ``{count, next, previous, results}``), else all at once."""
        return super().list(request, *args, **kwargs)

    def perform_create(self, serializer) -> None:
        serializer.save(owner=self.request.user)


class EsdlModelViewSet(
    SharingActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = EsdlModelSerializer
    pagination_class = OptionalPages
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        models = visible_to(self.request.user, EsdlModel).defer("esdl")
        if self.action == "list" and self.request.query_params.get("project", "").isdigit():
            models = models.filter(project_id=int(self.request.query_params["project"]))
        return models

    @extend_schema(
        parameters=[
            OpenApiParameter("project", int, description="models of this project"),
            *PAGE_PARAMETERS,
        ]
    )
    def list(self, request, *args, **kwargs):
        """The models the user may see (of one project with ``project``); in pages when
        ``page`` or ``page_size`` is given, else all at once."""
        return super().list(request, *args, **kwargs)

    @extend_schema(request=EsdlUploadSerializer, responses={201: EsdlModelSerializer})
    def create(self, request, *args, **kwargs):
        """Upload an ESDL file into a project; it is checked and summarised, or refused (400).

        Its input profiles are bound afterwards: ``profiles_status`` goes from ``pending`` over
        ``binding`` (``profiles_done`` of ``profiles_total``) to ``ready``, and a job can be
        submitted once it is ready (409 before).

        A refusal (ValidationError) becomes a 400 with its reason in the API exception handler.
        """
        upload = EsdlUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        project = get_object_or_404(
            visible_to(request.user, Project), pk=upload.validated_data["project"]
        )
        require_edit(request.user, project)
        file = upload.validated_data["file"]
        esdl_model = upload_esdl_model(
            project, upload.validated_data.get("name") or _stem(file.name), file.read()
        )
        return Response(EsdlModelSerializer(esdl_model).data, status=status.HTTP_201_CREATED)


def _stem(filename: str) -> str:
    return filename.rsplit("/", 1)[-1].rsplit(".", 1)[0][:200]
