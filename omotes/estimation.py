"""How long a job will run, learned from the runs before it (R18), as pure functions.

A run's time is modelled as ``overhead + rate x work``, where work is the number of assets times
the number of time steps (what a time-stepping simulator does per step, for each asset). The two
numbers are fitted to a workflow's past runs by least squares on the *relative* error (weights
1/t^2), so a one-hour run does not drown the minute-long ones; before there is a history, the
workflow's announced prior (``WorkflowDescription.runtime_prior``) answers, and one past run
scales it. The spread of past runs around the fit (their 10th and 90th percentile ratio) is the
honest uncertainty; with few runs it is wide by construction.

The frontend passes plain numbers in and gets an :class:`Estimate` back; nothing here knows of
jobs, users or databases.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Below this many past runs, the range is at least this wide around the estimate.
FEW_RUNS = 5
WIDE_RANGE = (0.5, 2.0)
#: A prior for a workflow that announced none: a minute, whatever its size.
FALLBACK_PRIOR = {"overhead_s": 60.0, "per_asset_step_s": 0.0}
#: Never estimate less than this (process start, messages, writing a result).
MINIMUM_S = 1.0


@dataclass(frozen=True)
class PastRun:
    """One finished run: its work (assets x time steps) and the seconds it took."""

    work: float
    seconds: float


@dataclass(frozen=True)
class Estimate:
    """Seconds a run is expected to take, a likely range, and what the figure rests on."""

    seconds: float
    low_s: float
    high_s: float
    runs: int  # past runs it was learned from; 0: the workflow's prior only

    @property
    def basis(self) -> str:
        if self.runs == 0:
            return "the workflow's own guess (no finished job yet)"
        return f"{self.runs} finished job{'s' if self.runs != 1 else ''}"

    def to_dict(self) -> dict[str, float | int | str]:
        return {
            "seconds": round(self.seconds, 1),
            "low_s": round(self.low_s, 1),
            "high_s": round(self.high_s, 1),
            "runs": self.runs,
            "basis": self.basis,
        }


@dataclass(frozen=True)
class RuntimeModel:
    overhead_s: float
    per_work_s: float

    def predict(self, work: float) -> float:
        return max(MINIMUM_S, self.overhead_s + self.per_work_s * max(work, 0.0))


def prior_model(prior: Mapping[str, float] | None) -> RuntimeModel:
    prior = prior or FALLBACK_PRIOR
    return RuntimeModel(
        float(prior.get("overhead_s", FALLBACK_PRIOR["overhead_s"])),
        float(prior.get("per_asset_step_s", 0.0)),
    )


def fit(runs: Sequence[PastRun], prior: Mapping[str, float] | None = None) -> RuntimeModel:
    """The runtime model of these runs; the prior when there are none, the prior scaled to
    the runs when their work is all the same (nothing to tell overhead from rate)."""
    runs = [r for r in runs if r.seconds > 0 and r.work >= 0]
    base = prior_model(prior)
    if not runs:
        return base
    works = [r.work for r in runs]
    if len(runs) == 1 or max(works) - min(works) <= 1e-9 * max(1.0, max(works)):
        scale = _geometric_mean([r.seconds / base.predict(r.work) for r in runs])
        return RuntimeModel(base.overhead_s * scale, base.per_work_s * scale)
    fitted = _weighted_least_squares(runs)
    if fitted is not None:
        return fitted
    # A negative coefficient: the better of the two one-parameter models.
    only_rate = RuntimeModel(0.0, _ratio_fit(runs, lambda r: r.work))
    only_overhead = RuntimeModel(_ratio_fit(runs, lambda r: 1.0), 0.0)
    return min((only_rate, only_overhead), key=lambda m: _relative_error(m, runs))


def estimate(
    work: float, runs: Sequence[PastRun], prior: Mapping[str, float] | None = None
) -> Estimate:
    """The expected seconds of a run of ``work`` (assets x time steps), from ``runs``."""
    model = fit(runs, prior)
    seconds = model.predict(work)
    low, high = WIDE_RANGE
    if runs:
        ratios = sorted(r.seconds / model.predict(r.work) for r in runs if r.seconds > 0)
        low = min(_quantile(ratios, 0.1), 1.0)
        high = max(_quantile(ratios, 0.9), 1.0)
        if len(ratios) < FEW_RUNS:
            low, high = min(low, WIDE_RANGE[0]), max(high, WIDE_RANGE[1])
    return Estimate(seconds, seconds * low, seconds * high, len(runs))


def _weighted_least_squares(runs: Sequence[PastRun]) -> RuntimeModel | None:
    """Minimise sum(((a + b w - t) / t)^2); None when a or b comes out negative."""
    s11 = s12 = s22 = y1 = y2 = 0.0
    for run in runs:
        weight = 1.0 / run.seconds**2
        s11 += weight
        s12 += weight * run.work
        s22 += weight * run.work**2
        y1 += weight * run.seconds
        y2 += weight * run.work * run.seconds
    determinant = s11 * s22 - s12 * s12
    if determinant <= 0:
        return None
    overhead = (y1 * s22 - y2 * s12) / determinant
    rate = (s11 * y2 - s12 * y1) / determinant
    if overhead < 0 or rate < 0:
        return None
    return RuntimeModel(overhead, rate)


def _ratio_fit(runs: Sequence[PastRun], x) -> float:
    """The c minimising sum(((c x - t) / t)^2)."""
    numerator = sum(x(r) / r.seconds for r in runs)
    denominator = sum((x(r) / r.seconds) ** 2 for r in runs)
    return numerator / denominator if denominator > 0 else 0.0


def _relative_error(model: RuntimeModel, runs: Sequence[PastRun]) -> float:
    return sum(((model.predict(r.work) - r.seconds) / r.seconds) ** 2 for r in runs)


def _geometric_mean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def _quantile(ordered: Sequence[float], q: float) -> float:
    if not ordered:
        return 1.0
    position = q * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def queue_start_s(
    running_remaining_s: Sequence[float], ahead_s: Sequence[float], slots: int
) -> float:
    """Seconds until a job starts that waits behind ``ahead_s`` (expected run times, in the
    order they will start), on ``slots`` slots now busy for ``running_remaining_s`` more seconds."""
    if slots <= 0:
        return math.inf
    free_at = sorted(max(0.0, s) for s in running_remaining_s)[:slots]
    free_at += [0.0] * (slots - len(free_at))
    for seconds in ahead_s:
        free_at.sort()
        free_at[0] += max(0.0, seconds)
    return min(free_at)
