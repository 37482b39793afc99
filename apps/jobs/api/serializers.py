from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.jobs.models import Job, JobRecord
from apps.keyfigures.services import key_figures_used
from apps.results.quantities import asset_class_name, describe_field


class WorkflowSerializer(serializers.Serializer):
    name = serializers.CharField()
    version = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    parameters = serializers.ListField(
        child=serializers.DictField(),
        help_text="key, type, title, description, default, minimum, maximum, options, and "
        "derive: how the value follows from the model (omotes.protocol.DERIVATIONS)",
    )
    supported_asset_types = serializers.ListField(
        child=serializers.CharField(),
        help_text="ESDL asset types the workflow can take; empty: any (its pre-flight check)",
    )
    runtime_prior = serializers.DictField(
        help_text="The workflow's own runtime guess before there is history: overhead_s, "
        "per_asset_s, per_asset_step_s, per_asset_squared_s"
    )
    runtime_family = serializers.CharField(
        help_text="Its runtime family: workflows of one family (they run the same model) learn "
        "their estimates from each other's runs; empty: the workflow's own name"
    )
    steps = serializers.ListField(
        child=serializers.CharField(),
        help_text="The workflows a sequence runs, in order; empty for a single workflow",
    )
    available = serializers.BooleanField()
    workers = serializers.IntegerField()
    slots = serializers.IntegerField()


class JobSerializer(serializers.ModelSerializer):
    name = serializers.CharField(
        source="display_name",
        read_only=True,
        help_text="The name its owner gave, else model · workflow · short id",
    )
    project = serializers.IntegerField(source="esdl_model.project_id", read_only=True)
    series_count = serializers.SerializerMethodField()
    value_count = serializers.IntegerField(read_only=True)
    history = serializers.SerializerMethodField(
        help_text="Where each parameter's value came from (param_sources), the run time "
        "estimated at submit (estimate), how much slower than on an idle machine it ran "
        "(run_contention; null: not measured), and when and by whom the results were deleted "
        "(results_deleted_at, results_deleted_by; null while they exist)"
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "name",
            "project",
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
            "worker_id",
            "history",
        ]
        read_only_fields = fields

    def get_series_count(self, job: Job) -> int:
        return len(job.series)

    def get_history(self, job: Job) -> dict:
        try:
            record = job.record  # selected with the job by the view
        except JobRecord.DoesNotExist:
            record = None
        history = {"key_figures": key_figures_used(job)}
        if record is None:
            return {**history, "param_sources": {}, "estimate": {}, "results_deleted_at": None}
        deleted = record.results_deleted_at
        return {
            **history,
            "param_sources": record.param_sources,
            "estimate": record.estimate,
            "run_contention": record.run_contention,
            "results_deleted_at": deleted.isoformat() if deleted else None,
            "results_deleted_by": record.results_deleted_by_name if deleted else None,
        }


class JobRenameSerializer(serializers.Serializer):
    name = serializers.CharField(
        allow_blank=True,
        trim_whitespace=True,
        help_text="The new name; empty: back to the default (model · workflow · short id)",
    )


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


class EstimateSerializer(serializers.Serializer):
    estimate = serializers.DictField(
        help_text="seconds, low_s and high_s (the likely range), runs learned from, basis, "
        "reference_s (on the reference machine) and speed (the live workers' speed factor from "
        "their calibration runs; null: not measured)"
    )
    time_limit_s = serializers.IntegerField(
        help_text="The workflow's time limit: a job still running then is stopped"
    )
    queue = serializers.DictField(
        help_text="ahead (jobs that start first), starts_in_s (null: no live worker), slots"
    )
    text = serializers.CharField(help_text="The estimate for a person to read")
    params = serializers.DictField(help_text="The parameters the job would use")
    sources = serializers.DictField(help_text="Where each parameter's value comes from")
    asset_total = serializers.IntegerField()
    steps = serializers.IntegerField(help_text="Time steps of the period")


class QuantitySerializer(serializers.Serializer):
    """What a stored field is, from the quantity catalogue (``apps.results.quantities``)."""

    key = serializers.CharField(help_text="the quantity without its port, e.g. temperature")
    name = serializers.CharField(help_text="for people, e.g. Return temperature (In)")
    description = serializers.CharField()
    group = serializers.CharField(help_text="heat, temperature, flow, pressure...")
    si_unit = serializers.CharField(help_text="the unit values are stored and sent in")
    shown_sign = serializers.ChoiceField(
        choices=[1, -1],
        help_text="pages show values times this: -1 where the stored sign is not the one a "
        "person reads (the simulator stores set points negative); values are sent as stored",
    )


class SeriesSerializer(serializers.Serializer):
    asset_id = serializers.CharField()
    asset_name = serializers.CharField()
    asset_class = serializers.CharField()
    asset_class_name = serializers.SerializerMethodField(help_text="e.g. Heating demand")
    measurement = serializers.CharField()
    field = serializers.CharField()
    unit = serializers.CharField()
    points = serializers.IntegerField()
    quantity = serializers.SerializerMethodField()

    def get_asset_class_name(self, series: dict) -> str:
        return asset_class_name(series.get("asset_class", ""))

    @extend_schema_field(QuantitySerializer)
    def get_quantity(self, series: dict) -> dict:
        return describe_field(
            series.get("field", ""), series.get("asset_class", ""), series.get("unit", "")
        )


class SeriesDataSerializer(serializers.Serializer):
    asset_id = serializers.CharField()
    asset_name = serializers.CharField()
    field = serializers.CharField()
    unit = serializers.CharField()
    points = serializers.ListField(
        child=serializers.ListField(), help_text="[epoch seconds, value] pairs"
    )
    quantity = QuantitySerializer()


class SeriesTotalSerializer(serializers.Serializer):
    field = serializers.CharField()
    unit = serializers.CharField()
    assets = serializers.IntegerField(help_text="how many assets the total adds up")
    points = serializers.ListField(
        child=serializers.ListField(), help_text="[epoch seconds, sum of the assets' values]"
    )
    quantity = QuantitySerializer()
