"""How much one model, one input profile and one job may write into InfluxDB.

Why bounds: one upload whose input profile ran 2000-2049 once wrote 50 years of hourly points into
the profiles database, which then had weekly shards: ~2,100 shards, and influxd ran out of open
files for every user while the health page said OK. The profile store now has long shards
(:data:`apps.profiles.services.PROFILE_SHARD_DURATION`), and what one piece of input may write is
bounded here, with the numbers from the settings (``DT_...``, defaults in brackets):

- ``max_years`` (DT_PROFILE_MAX_YEARS [10]): the period one input profile or one job may cover.
  Designers simulate one year hourly, or up to five years daily; ten leaves room for a decade at
  daily steps, and refuses periods that are typing errors or scenarios (2000-2049).
- ``max_points`` (DT_PROFILE_MAX_POINTS [43,920]): the points of one profile and the time steps of
  one job: five years hourly (one year at 15 minutes is 35,136). A standard profile is hourly over
  the ESDL's period, so this, not ``max_years``, bounds an ESDL's profile to about five years.
- ``max_profiles`` (DT_MODEL_MAX_PROFILES [2,000]): the input profiles (series) of one model: a
  district of 2,000 buildings with a profile each.
- ``max_model_points`` (DT_MODEL_MAX_PROFILE_POINTS [20,000,000]): all profile points of one
  model: 2,000 hourly profiles of a year are 17.5 million (about 100 s for the profile binder).

Every timestamp must also lie in :data:`YEARS`: with the store's shard groups of 191 years
(1917-2109 is one) that is at most two shards, however the points are spread. Messages name the
limit and its setting; the caller names the asset or parameter. Pure Python apart from
:meth:`ProfileLimits.from_settings`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

#: Timestamps outside these years are typing errors (year 1, 9999), not plans.
YEARS = range(1900, 2101)


def add_years(moment: datetime, years: int) -> datetime:
    """``moment`` that many calendar years later (29 February becomes 28 February)."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def hourly_points(start: datetime, end: datetime) -> int:
    """Points of an hourly profile from the hour of ``start`` to the hour of ``end``, inclusive
    (the standard profile a model's reference is bound to)."""
    first = start.replace(minute=0, second=0, microsecond=0)
    last = end.replace(minute=0, second=0, microsecond=0)
    return (last - first) // timedelta(hours=1) + 1


def years_problem(moment: datetime) -> str | None:
    if moment.year in YEARS:
        return None
    return f"{moment.isoformat()} must be in the years {YEARS.start}-{YEARS.stop - 1}"


@dataclass(frozen=True)
class ProfileLimits:
    """The bounds of the module docstring; :meth:`from_settings` gives the configured ones."""

    max_years: int
    max_points: int
    max_profiles: int
    max_model_points: int

    @classmethod
    def from_settings(cls) -> ProfileLimits:
        from django.conf import settings

        return cls(
            max_years=settings.PROFILE_MAX_YEARS,
            max_points=settings.PROFILE_MAX_POINTS,
            max_profiles=settings.MODEL_MAX_PROFILES,
            max_model_points=settings.MODEL_MAX_PROFILE_POINTS,
        )

    def latest_end(self, start: datetime) -> datetime:
        return add_years(start, self.max_years)

    def period_problem(self, start: datetime, end: datetime, what: str) -> str | None:
        """Why ``what`` ("an input profile", "a job") may not run from ``start`` to ``end``."""
        if end > self.latest_end(start):
            return (
                f"{start.isoformat()} to {end.isoformat()}: {what} may cover at most "
                f"{self.max_years} years (DT_PROFILE_MAX_YEARS)"
            )
        return None

    def points_problem(self, points: int, what: str, unit: str = "points") -> str | None:
        if points > self.max_points:
            return (
                f"{points:,} {unit}: {what} may have at most {self.max_points:,} "
                "(DT_PROFILE_MAX_POINTS)"
            )
        return None

    def model_problems(self, points_per_profile: Iterable[int]) -> list[str]:
        """What breaks the bounds of one model whose profiles have these many points each."""
        counts = list(points_per_profile)
        problems = []
        if len(counts) > self.max_profiles:
            problems.append(
                f"The model: {len(counts):,} input profiles: a model may have at most "
                f"{self.max_profiles:,} (DT_MODEL_MAX_PROFILES)"
            )
        if sum(counts) > self.max_model_points:
            problems.append(
                f"The model: its input profiles have {sum(counts):,} points together: a model "
                f"may have at most {self.max_model_points:,} (DT_MODEL_MAX_PROFILE_POINTS)"
            )
        return problems

    def job_problems(self, titles: dict[str, str], params: dict[str, Any]) -> list[str]:
        """What breaks the bounds in a job's cleaned parameters (``titles``: key -> title).

        By the workflows' convention the period is ``start`` to ``end`` (ISO 8601 text or
        datetimes; either may be left to the worker, which takes it from the input profiles,
        themselves bounded) in steps of ``timestep_s`` seconds.
        """
        moments = {}
        for key in ("start", "end"):
            value = params.get(key) if key in titles else None
            value = datetime.fromisoformat(value) if isinstance(value, str) else value
            if isinstance(value, datetime):
                moments[key] = _utc(value)
        problems = [
            f"{titles[key]}: {problem}"
            for key, moment in moments.items()
            if (problem := years_problem(moment))
        ]
        start, end = moments.get("start"), moments.get("end")
        if problems or start is None or end is None:
            return problems
        if end < start:
            return [
                f"{titles['end']} ({end:%Y-%m-%d %H:%M} UTC) is before {titles['start']} "
                f"({start:%Y-%m-%d %H:%M} UTC)."
            ]
        if problem := self.period_problem(start, end, "a job"):
            return [f"{titles['start']} to {titles['end']}: {problem}"]
        step_s = params.get("timestep_s")
        if isinstance(step_s, int | float) and step_s > 0:
            steps = int((end - start).total_seconds() // step_s) + 1
            if problem := self.points_problem(steps, "a job", unit="time steps"):
                problems.append(f"{titles['start']} to {titles['end']}: {problem}")
        return problems


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
