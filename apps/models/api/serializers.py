from __future__ import annotations

from django.conf import settings
from rest_framework import serializers

from apps.models.models import EsdlModel, Project


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = ["id", "name", "description", "created_at"]


class EsdlModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = EsdlModel
        read_only_fields = [
            "size_bytes",
            "summary",
            "created_at",
            "profiles_status",
            "profiles_done",
            "profiles_total",
            "profiles_error",
        ]
        fields = ["id", "project", "name", *read_only_fields]


class EsdlUploadSerializer(serializers.Serializer):
    project = serializers.IntegerField()
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    file = serializers.FileField(allow_empty_file=False)

    def validate_file(self, upload):
        if upload.size > settings.ESDL_MAX_BYTES:
            raise serializers.ValidationError(
                f"The file is larger than the limit of {settings.ESDL_MAX_BYTES // 2**20} MB."
            )
        return upload
