"""Versions of the key-figure database, their figures, and which version each job's costs used.

A version is immutable once loaded (its figures cannot be changed, added or removed; the admin
shows them read-only), so a job's costs can always be traced to the numbers behind them. Exactly
one version at most is the default: new jobs are costed with it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models


class KeyFigureVersion(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    source_file = models.CharField(max_length=255, blank=True, help_text="File it was loaded from")
    loaded_at = models.DateTimeField(auto_now_add=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    is_default = models.BooleanField(default=False, help_text="New jobs are costed with it")

    class Meta:
        ordering = ["-loaded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="keyfigures_one_default_version",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name}{' (default)' if self.is_default else ''}"

    def as_dict(self) -> dict[str, float]:
        return dict(self.figures.values_list("key", "value"))


class KeyFigure(models.Model):
    version = models.ForeignKey(KeyFigureVersion, on_delete=models.CASCADE, related_name="figures")
    key = models.CharField(max_length=100)
    value = models.FloatField()
    unit = models.CharField(max_length=20)
    source = models.TextField()
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    line = models.PositiveIntegerField(default=0, help_text="Line in the loaded file")

    class Meta:
        ordering = ["key"]
        constraints = [
            models.UniqueConstraint(fields=["version", "key"], name="keyfigures_key_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.key} = {self.value:g} {self.unit}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError("Key figures of a loaded version cannot change.")
        super().save(*args, **kwargs)


class JobCosting(models.Model):
    """The economic and environmental outcome of one job, computed when its result arrived:
    which key figures it used, the cost and energy per asset (and where each cost came from),
    and warnings about the result (e.g. a suspect zero pipe heat loss)."""

    job = models.OneToOneField(
        "jobs.Job", on_delete=models.CASCADE, primary_key=True, related_name="costing"
    )
    version = models.ForeignKey(
        KeyFigureVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="jobs"
    )
    dynamic_values = models.JSONField(
        default=list, help_text="Figures from dynamic sources used instead of the version's"
    )
    assets = models.JSONField(default=list, help_text="Per asset: costs, energy, cost source")
    warnings = models.JSONField(default=list)
    error = models.TextField(blank=True, help_text="Why no costs could be computed")
    computed_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"costs of {self.job_id}"


class DynamicSource(models.Model):
    """A live value for one key figure (an energy price, a grid emission factor), fetched from a
    URL by ``manage.py run_key_figure_sources`` (never in a web request). Jobs use its last good
    value while it is fresh, else the static figure of their version (apps.keyfigures.dynamic).
    """

    class Format(models.TextChoices):
        JSON = "json", "JSON"
        CSV = "csv", "CSV"

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    format = models.CharField(max_length=4, choices=Format.choices, default=Format.JSON)
    selector = models.CharField(
        max_length=200,
        help_text="JSON: dotted path to the number; CSV: the column (last row)",
    )
    key = models.CharField(max_length=100, help_text="The key figure it feeds")
    unit = models.CharField(max_length=20, help_text="Unit of the fetched value (the key's)")
    enabled = models.BooleanField(default=True)
    refresh_s = models.PositiveIntegerField(default=3600, help_text="Seconds between fetches")
    timeout_s = models.FloatField(default=10.0, help_text="Seconds one request may take")
    max_age_s = models.PositiveIntegerField(
        default=86400, help_text="A value older than this is stale: the static figure is used"
    )
    auth_header = models.CharField(
        max_length=100, blank=True, help_text="Header to send, e.g. Authorization (optional)"
    )
    auth_env = models.CharField(
        max_length=100,
        blank=True,
        help_text="NAME of the environment variable with the header's value",
    )

    last_value = models.FloatField(null=True, blank=True)
    last_good_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed fetches in a row")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} -> {self.key}"

    def clean(self) -> None:
        from apps.keyfigures.figures import family_of

        family = family_of(self.key)
        if family is None:
            raise ValidationError({"key": f"Unknown key figure {self.key!r}."})
        if self.unit != family.unit:
            raise ValidationError({"unit": f"{self.key} takes {family.unit}."})
        if self.auth_header and not self.auth_env:
            raise ValidationError({"auth_env": "Name the environment variable with the value."})
