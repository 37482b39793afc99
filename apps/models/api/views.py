from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from apps.models.api.serializers import EsdlModelSerializer, EsdlUploadSerializer, ProjectSerializer
from apps.models.models import EsdlModel, Project
from apps.models.services import upload_esdl_model
from apps.sharing.access import require_edit, visible_to
from apps.sharing.api import SharingActions


class ProjectViewSet(
    SharingActions,
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ProjectSerializer

    def get_queryset(self):
        return visible_to(self.request.user, Project)

    def perform_create(self, serializer) -> None:
        serializer.save(owner=self.request.user)


class EsdlModelViewSet(
    SharingActions, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = EsdlModelSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        return visible_to(self.request.user, EsdlModel).defer("esdl")

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
