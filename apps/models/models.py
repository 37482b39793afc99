"""Projects, their ESDL models (schematisations), and the pipe catalogue that completes them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from apps.models.pipe_catalogue import PipeLayer, PipeSpec


class Project(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("projects:detail", args=[self.pk])


class EsdlModel(models.Model):
    """One uploaded ESDL file. The text is the checked upload, never rewritten in place.

    Its input profiles are bound after the upload has answered, by the profile binder
    (:mod:`apps.profiles.binding`): ``profiles_status`` says how far, and a job can start only
    once it is ready.
    """

    class ProfilesStatus(models.TextChoices):
        PENDING = "pending", "Waiting to be bound"
        BINDING = "binding", "Being bound"
        READY = "ready", "Ready"
        FAILED = "failed", "Binding failed"

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="esdl_models")
    name = models.CharField(max_length=200)
    esdl = models.TextField()
    size_bytes = models.PositiveIntegerField()
    summary = models.JSONField(default=dict)
    variation_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="variations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    profiles_status = models.CharField(
        max_length=10, choices=ProfilesStatus.choices, default=ProfilesStatus.READY
    )
    profiles_total = models.PositiveIntegerField(default=0, help_text="Input profile references")
    profiles_done = models.PositiveIntegerField(default=0, help_text="References bound so far")
    profiles_error = models.TextField(blank=True)
    profiles_updated_at = models.DateTimeField(
        null=True, blank=True, help_text="Last claim or progress of the profile binder"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "ESDL model"
        indexes = [
            models.Index(
                fields=["profiles_status", "created_at"],
                condition=Q(profiles_status__in=["pending", "binding"]),
                name="models_profiles_to_bind",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("models:detail", args=[self.pk])


class PipeType(models.Model):
    """A standard pre-insulated pipe, used for ESDL pipes that name only a size (``DN200``).

    Kept as data so a sysadmin can update the catalogue (admin or ``load_pipe_catalogue``) without a
    release; the simulator would otherwise fetch it from the public Energy Data Repository.
    """

    name = models.CharField(max_length=100, unique=True, help_text="EDR name, e.g. Steel-S1-DN-200")
    dn = models.PositiveIntegerField("DN")
    series = models.CharField(max_length=10)
    inner_diameter_m = models.FloatField()
    outer_diameter_m = models.FloatField()
    layers = models.JSONField(help_text="[[thickness_m, conductivity_w_per_mk, material], ...]")
    investment_cost_eur_per_m = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["series", "dn"]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def fields_from(spec: PipeSpec) -> dict:
        return {
            "dn": spec.dn,
            "series": spec.series,
            "inner_diameter_m": spec.inner_diameter_m,
            "outer_diameter_m": spec.outer_diameter_m,
            "layers": [list(layer) for layer in spec.layers],
            "investment_cost_eur_per_m": spec.investment_cost_eur_per_m,
        }

    def as_spec(self) -> PipeSpec:
        return PipeSpec(
            name=self.name,
            dn=self.dn,
            series=self.series,
            inner_diameter_m=self.inner_diameter_m,
            outer_diameter_m=self.outer_diameter_m,
            layers=[PipeLayer(*layer) for layer in self.layers],
            investment_cost_eur_per_m=self.investment_cost_eur_per_m,
        )
