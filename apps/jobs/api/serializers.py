from __future__ import annotations

from rest_framework import serializers

from apps.jobs.models import Job


class WorkflowSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    parameters = serializers.ListField(child=serializers.DictField())
    supported_asset_types = serializers.ListField(
        child=serializers.CharField(),
        help_text="ESDL asset types the workflow can take; empty: any (its pre-flight check)",
    )
    available = serializers.BooleanField()
    workers = serializers.IntegerField()
    slots = serializers.IntegerField()


class JobSerializer(serializers.ModelSerializer):
    series_count = serializers.SerializerMethodField()
    value_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Job
        fields = [
            "id",
            "esdl_model",
            "workflow",
            "workflow_version",
            "params",
            "status",
            "progress",
            "progress_message",
            "step",
            "error",
            "attempts",
            "time_limit_s",
            "created_at",
            "started_at",
            "finished_at",
            "series_count",
            "value_count",
            "messages",
            "kpis",
        ]
        read_only_fields = fields

    def get_series_count(self, job: Job) -> int:
        return len(job.series)


class JobCreateSerializer(serializers.Serializer):
    model = serializers.IntegerField(help_text="id of the ESDL model to run")
    workflow = serializers.CharField()
    params = serializers.DictField(required=False, default=dict)
    notify_email = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="E-mail me when the job ends; omitted or null: my account's default",
    )


class SeriesSerializer(serializers.Serializer):
    asset_id = serializers.CharField()
    asset_name = serializers.CharField()
    asset_class = serializers.CharField()
    measurement = serializers.CharField()
    field = serializers.CharField()
    unit = serializers.CharField()
    points = serializers.IntegerField()


class SeriesDataSerializer(serializers.Serializer):
    asset_id = serializers.CharField()
    asset_name = serializers.CharField()
    field = serializers.CharField()
    unit = serializers.CharField()
    points = serializers.ListField(
        child=serializers.ListField(), help_text="[epoch seconds, value] pairs"
    )
