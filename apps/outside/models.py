"""What the product brought in from outside, what stood in when it could not, and what each job
used, so a result can be traced to its inputs (source, time fetched, checksum)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class FetchedProfile(models.Model):
    """A stored input profile that is a copy of an outside InfluxDB series (in W).

    Also the cache: a reference to the same series, period and unit binds this copy instead of
    fetching again, for as long as some model binds it (the copy goes with its last binding,
    :func:`apps.profiles.services.forget_unbound_profiles`, and this row with it).
    """

    profile = models.OneToOneField(
        "profiles.InputProfile", on_delete=models.CASCADE, primary_key=True, related_name="fetched"
    )
    server = models.CharField(max_length=100, help_text="Name on the operator's list")
    url = models.CharField(max_length=300, help_text="Scheme, host and port asked")
    database = models.CharField(max_length=200)
    measurement = models.CharField(max_length=200)
    field = models.CharField(max_length=200)
    start = models.DateTimeField()
    end = models.DateTimeField()
    to_watt = models.FloatField(help_text="Factor from the source's values to W (unit, multiplier)")
    fetched_at = models.DateTimeField(auto_now_add=True)
    checksum = models.CharField(max_length=71, help_text="sha256 of the points as stored")

    class Meta:
        indexes = [models.Index(fields=["server", "database", "measurement", "field", "start"])]

    def __str__(self) -> str:
        return f"{self.measurement} / {self.field} from {self.server}"

    @property
    def source(self) -> str:
        if not self.database:  # made by a heat-profile generator (apps.outside.generator)
            return f"{self.url}: {self.measurement}, {self.field}"
        return f"{self.url} database {self.database}, {self.measurement} / {self.field}"


class StandIn(models.Model):
    """A profile reference answered by the standard profile because its source could not be
    used: why, and when that was found. A user can ask for the fetch again."""

    binding = models.OneToOneField(
        "profiles.ProfileBinding", on_delete=models.CASCADE, related_name="stand_in"
    )
    reason = models.CharField(max_length=500)
    tried_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"standard profile used: {self.reason}"


class FetchedPipe(models.Model):
    """A pipe of the catalogue that came from the Energy Data Repository: from where, when."""

    pipe = models.OneToOneField(
        "models.PipeType", on_delete=models.CASCADE, primary_key=True, related_name="fetched"
    )
    url = models.CharField(max_length=500)
    fetched_at = models.DateTimeField(default=timezone.now)
    checksum = models.CharField(max_length=71, help_text="sha256 of the EDR's ESDL text")

    def __str__(self) -> str:
        return f"{self.pipe_id} from {self.url}"


class JobInput(models.Model):
    """One input of a job as it was at submission: an input profile (per reference) or a
    size-only pipe (from the EDR or the local catalogue), with its source, when it was fetched
    and its checksum, or why the standard profile stood in. Plain values, not references: the
    record outlives the copies."""

    class Kind(models.TextChoices):
        PROFILE = "profile", "Input profile"
        PIPE = "pipe", "Pipe from the catalogue"

    job = models.ForeignKey("jobs.Job", on_delete=models.CASCADE, related_name="outside_inputs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    esdl_id = models.CharField(max_length=100, help_text="Profile id, or pipe catalogue name")
    asset_name = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=500)
    fetched_at = models.DateTimeField(null=True, blank=True)
    checksum = models.CharField(max_length=71, blank=True)
    stand_in_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["kind", "asset_name", "esdl_id"]

    def __str__(self) -> str:
        return f"{self.asset_name or self.esdl_id}: {self.source}"
