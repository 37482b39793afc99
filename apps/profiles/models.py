"""Input profiles that ESDL models reference, served from our own InfluxDB (R23).

The test models (and most real ones) point at an outside InfluxDB that workers cannot reach. Each
profile reference of an uploaded model is bound to a profile stored here, after the upload
(:mod:`apps.profiles.binding`): a copy of the outside series when the operator lists its server
(:mod:`apps.outside`), else a standard heat-demand profile (BDEW, or a configured generator's);
or one the user uploads as CSV. The job's ESDL is rewritten to read the bound profile from our
server.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class InputProfile(models.Model):
    class Source(models.TextChoices):
        BDEW = "bdew", "Standard BDEW heat-demand profile"
        CSV = "csv", "Uploaded CSV"
        OUTSIDE = "outside", "Copied from an outside server"
        GENERATOR = "generator", "Made by a heat-profile generator"

    # Who made it; it outlives them while a model binds it (an editor's CSV in someone's model),
    # and goes with the last binding (services.forget_unbound_profiles).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    name = models.CharField(max_length=200)
    source = models.CharField(max_length=10, choices=Source.choices)
    start = models.DateTimeField()
    end = models.DateTimeField(help_text="Time of the last point (inclusive)")
    points = models.PositiveIntegerField()
    peak_w = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    FIELD = "power_w"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def measurement(self) -> str:
        return self.measurement_of(self.pk)

    @staticmethod
    def measurement_of(pk: int) -> str:
        """Each profile is one measurement in the profiles database, with one field in W."""
        return f"profile_{pk}"


class ProfileBinding(models.Model):
    """Which stored profile answers one ``InfluxDBProfile`` (by its ESDL id) of a model."""

    esdl_model = models.ForeignKey(
        "models.EsdlModel", on_delete=models.CASCADE, related_name="profile_bindings"
    )
    esdl_profile_id = models.CharField(max_length=100)
    asset_id = models.CharField(max_length=100, blank=True)
    asset_name = models.CharField(max_length=200, blank=True)
    original = models.CharField(
        max_length=400, blank=True, help_text="What the ESDL named: measurement / field"
    )
    profile = models.ForeignKey(InputProfile, on_delete=models.PROTECT)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["esdl_model", "esdl_profile_id"], name="one_binding_per_profile_reference"
            )
        ]

    def __str__(self) -> str:
        return f"{self.asset_name}: {self.profile}"
