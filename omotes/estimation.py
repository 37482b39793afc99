"""How long a job will run, learned from the runs before it (R18), as pure functions.

A run's time is modelled as ``overhead + per_asset x assets + per_asset_step x assets x steps
+ per_asset_squared x assets^2``: a fixed start, building the network (grows with the assets),
time stepping (each step, for each asset) and a solve that grows faster than the network (the
optimiser's MILP: mesido's runs here took 5 s for 4 assets, 26 s for 25 and over 25 min for 400,
so a straight line through the small ones is hours short for the big ones). The numbers are
fitted to a workflow's past runs by least squares on the *relative* error (weights 1/t^2), so a
one-hour run does not drown the minute-long ones, keeping the fit of the terms whose numbers come
out non-negative with the best Akaike score: the simulator's runs pick the time-stepping term,
the optimiser's (one "step": its horizon is fixed) the squared one. Before there is a history
the workflow's announced prior (``WorkflowDescription.runtime_prior``) answers, and while the
runs cannot tell the terms apart they scale it.

Workers differ in speed, and a shared machine's speed changes with its load (the same job took
135 s at a load of 6.6 on 2 cores and 547 s at 20). Each worker measures how fast its machine
is when it starts (a calibration run, CPU seconds per asset and time step,
:mod:`omotes.worker.calibration`; :func:`speed_factor` turns that into a factor against the
machine the priors were measured on) and, all along, how much slower than that a job runs now
(its *contention*, :mod:`omotes.worker.contention`). A run's speed is its worker's factor
times the contention it met; its seconds are divided by it before fitting (so a fast and a slow
worker, a quiet and a busy hour, share one history) and the estimate is multiplied by the
factor of the workers expected to run the job; with no history that makes the prior the
calibration's. The contention the workers announce *now* does not scale the estimate: an idle
worker's probe does not predict what a job will meet (recorded runs, bench/results/
estimate.jsonl of 27 Nov: on a quiet machine the probes read 1.2 and the runs then met 1.01;
under load the probes read 17 to 21 and the runs met 7 to 11), and replaying those runs scored a
mape of 0.23 estimating at 1 against 0.35 at the probe's figure. It stretches the likely range
upwards instead, and the estimate says that the machine is busy.

Workflows that run the same model share what they learn: a workflow names its *runtime
family* (``simulate_kpis``, the simulator plus a KPI step, says ``simulator``), the terms are
fitted on the runs of the whole family and each member keeps a level of its own
(:func:`pooled`). The spread of past runs around the
fit (their 10th and 90th percentile ratio) is the honest uncertainty; with few runs it is wide
by construction. Each run counts with its ``weight``: the frontend counts recent runs more, as
the speed of a shared machine drifts.

The frontend passes plain numbers in and gets an :class:`Estimate` back; nothing here knows of
jobs, users or databases.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

#: Below this many past runs, the range is at least this wide around the estimate.
FEW_RUNS = 5
WIDE_RANGE = (0.5, 2.0)
#: A prior for a workflow that announced none: a minute, whatever its size.
FALLBACK_PRIOR = {"overhead_s": 60.0}
#: The terms of the model, as ``runtime_prior`` names their seconds.
TERMS = ("overhead_s", "per_asset_s", "per_asset_step_s", "per_asset_squared_s")
#: Seconds per asset and time step of the calibration run on the machine the workflows'
#: priors were measured on (a busy 2-core host): a worker that calibrates at twice this is
#: taken to run every job twice as long.
REFERENCE_S_PER_ASSET_STEP = 1e-3
#: Never estimate less than this (process start, messages, writing a result).
MINIMUM_S = 1.0
#: From this contention on (wall over CPU seconds of the workers' probes) the estimate says the
#: machine is busy.
BUSY = 1.3
#: Runs after which a finished run counts half as much as the newest.
RECENT_HALF_LIFE = 5


def recency_weight(index: int) -> float:
    """How much the ``index``-th newest run counts (0: the newest): half as much
    :data:`RECENT_HALF_LIFE` runs later, as the host's speed drifts with its load."""
    return 0.5 ** (index / RECENT_HALF_LIFE)


@dataclass(frozen=True)
class PastRun:
    """One finished run: its size (assets, time steps), the seconds it took and the speed it
    ran at: its worker's factor (:func:`speed_factor`) times the contention it met (1.0 each
    when unknown)."""

    assets: float
    steps: float
    seconds: float
    weight: float = 1.0  # how much it counts: recent runs more (the machine's speed drifts)
    speed: float = 1.0
    workflow: str = ""  # which workflow ran it; "" when all runs are of the one estimated

    @property
    def features(self) -> tuple[float, float, float, float]:
        return _features(self.assets, self.steps)

    def on_reference(self) -> PastRun:
        """The run as it would have taken on the reference machine."""
        return replace(self, seconds=self.seconds / self.speed, speed=1.0)


def _features(assets: float, steps: float) -> tuple[float, float, float, float]:
    assets, steps = max(assets, 0.0), max(steps, 0.0)
    return (1.0, assets, assets * steps, assets * assets)


def speed_factor(calibration_s_per_asset_step: float | None) -> float:
    """How much longer than the reference machine a worker takes, from its calibration run;
    1.0 for a worker that measured none."""
    if not calibration_s_per_asset_step or calibration_s_per_asset_step <= 0:
        return 1.0
    return calibration_s_per_asset_step / REFERENCE_S_PER_ASSET_STEP


@dataclass(frozen=True)
class Estimate:
    """Seconds a run is expected to take, a likely range, and what the figure rests on."""

    seconds: float
    low_s: float
    high_s: float
    runs: int  # past runs it was learned from; 0: the workflow's prior only
    reference_s: float = 0.0  # the seconds on the reference machine (speed factor 1)
    speed: float | None = None  # the workers' speed factor it assumes; None: not measured
    # How much slower than on an idle machine the workers run jobs now (part of ``speed``);
    # None: not measured.
    contention: float | None = None

    @property
    def basis(self) -> str:
        if self.runs == 0 and self.speed is not None:
            text = "the workflow's own guess at the workers' measured speed (no finished job yet)"
        elif self.runs == 0:
            text = "the workflow's own guess (no finished job yet)"
        else:
            text = f"{self.runs} finished job{'s' if self.runs != 1 else ''}"
        if self.contention is not None and self.contention >= BUSY:
            text += f"; the machine is busy: jobs run {self.contention:.1f}x slower now"
        return text

    def to_dict(self) -> dict[str, float | int | str | None]:
        return {
            "seconds": round(self.seconds, 1),
            "low_s": round(self.low_s, 1),
            "high_s": round(self.high_s, 1),
            "runs": self.runs,
            "basis": self.basis,
            "reference_s": round(self.reference_s, 1),
            "speed": None if self.speed is None else round(self.speed, 3),
            "contention": None if self.contention is None else round(self.contention, 2),
        }


@dataclass(frozen=True)
class RuntimeModel:
    """Seconds per term, in the order of :data:`TERMS`."""

    coefficients: tuple[float, ...]

    def predict(self, assets: float, steps: float) -> float:
        features = _features(assets, steps)
        return max(MINIMUM_S, sum(c * x for c, x in zip(self.coefficients, features, strict=True)))

    def scaled(self, factor: float) -> RuntimeModel:
        return RuntimeModel(tuple(c * factor for c in self.coefficients))


def prior_model(prior: Mapping[str, float] | None) -> RuntimeModel:
    prior = prior or FALLBACK_PRIOR
    return RuntimeModel(tuple(float(prior.get(term, 0.0)) for term in TERMS))


def fit(runs: Sequence[PastRun], prior: Mapping[str, float] | None = None) -> RuntimeModel:
    """The runtime model of these runs: the prior when there are none; else, of the prior
    scaled to the runs and the least-squares fits of every set of terms, the one with the best
    Akaike score (error against the number of numbers fitted), so that a few runs that cannot
    yet tell the terms apart scale the prior instead of fitting a line through two points.
    The model is of the reference machine: each run's seconds divided by its worker's speed."""
    runs = [r.on_reference() for r in runs if r.seconds > 0 and r.speed > 0]
    base = prior_model(prior)
    if not runs:
        return base
    ratios = [r.seconds / base.predict(r.assets, r.steps) for r in runs]
    candidates = [(1, base.scaled(_geometric_mean(ratios, [r.weight for r in runs])))]
    distinct = len({(r.assets, r.steps) for r in runs})
    for size in range(1, len(TERMS) + 1):
        if size >= distinct:  # at least one run more than numbers fitted
            break
        for terms in itertools.combinations(range(len(TERMS)), size):
            model = _least_squares(runs, terms)
            if model is not None:
                candidates.append((size, model))
    return min(candidates, key=lambda c: _akaike(c[1], runs, c[0]))[1]


def _akaike(model: RuntimeModel, runs: Sequence[PastRun], numbers: int) -> float:
    """Akaike's score of a fit on the relative errors: lower is better."""
    n = sum(r.weight for r in runs)
    return n * math.log(_relative_error(model, runs) / n + 1e-6) + 2 * numbers


def pooled(
    runs: Sequence[PastRun],
    workflow: str,
    prior: Mapping[str, float] | None = None,
    rounds: int = 4,
) -> list[PastRun]:
    """The runs of a runtime family (workflows that run the same simulation, one adding a KPI
    step, say) as runs of ``workflow``, each on the reference machine: a run of another member
    ``w`` counts with its seconds divided by ``c_w``, how much longer ``w`` takes than
    ``workflow``, learned from how the runs of ``w`` sit against the model fitted on all of
    them. ``c_w`` is a geometric mean shrunk towards 1 by one pseudo-run (two runs do not swing
    it) and stays 1 while ``workflow`` has no runs of its own. A handful of rounds of
    fit-then-correct settles it; the shared terms so learn from every run of the family, and
    each member keeps its own level.

    The members start equal, not at the ratio of their priors: in the recorded runs
    (bench/results/estimate.jsonl of 26 Nov) the KPI step added far less than its prior says,
    and starting from the priors' ratio scored a mape of 0.42 against 0.37 from 1."""
    runs = [r.on_reference() for r in runs if r.seconds > 0 and r.speed > 0]
    members = {r.workflow for r in runs} - {"", workflow}
    if not members or not any(r.workflow in ("", workflow) for r in runs):
        return runs
    correction = dict.fromkeys(members, 1.0)
    converted = runs
    for _ in range(rounds):
        model = fit(converted, prior)
        for member in members:
            mine = [r for r in runs if r.workflow == member]
            logs = sum(
                r.weight * math.log(r.seconds / model.predict(r.assets, r.steps)) for r in mine
            )
            correction[member] = math.exp(logs / (sum(r.weight for r in mine) + 1.0))
        converted = [replace(r, seconds=r.seconds / correction.get(r.workflow, 1.0)) for r in runs]
    return converted


def estimate(
    assets: float,
    steps: float,
    runs: Sequence[PastRun],
    prior: Mapping[str, float] | None = None,
    speed: float | None = None,
    *,
    workflow: str = "",
    contention: float | None = None,
) -> Estimate:
    """The expected seconds of a run of ``assets`` and ``steps`` time steps, from ``runs``, on
    a worker of speed factor ``speed`` (None: no worker measured its speed; taken as 1).

    ``runs`` may hold runs of other workflows of ``workflow``'s runtime family (see
    :func:`pooled`). ``contention``, the workers' load now, stretches the likely range upwards
    from :data:`BUSY` on and is said (:attr:`Estimate.basis`), but does not scale the figure
    (see the module docstring)."""
    if any(r.workflow not in ("", workflow) for r in runs):
        runs = pooled(runs, workflow, prior)
    model = fit(runs, prior)
    reference_s = model.predict(assets, steps)
    seconds = max(MINIMUM_S, reference_s * (speed or 1.0))
    low, high = WIDE_RANGE
    if runs:
        ratios = sorted(
            r.seconds / r.speed / model.predict(r.assets, r.steps)
            for r in runs
            if r.seconds > 0 and r.speed > 0
        )
        low = min(_quantile(ratios, 0.1), 1.0)
        high = max(_quantile(ratios, 0.9), 1.0)
        if len(ratios) < FEW_RUNS:
            low, high = min(low, WIDE_RANGE[0]), max(high, WIDE_RANGE[1])
    if contention is not None and contention >= BUSY:
        high *= contention
    return Estimate(
        seconds, seconds * low, seconds * high, len(runs), reference_s, speed, contention
    )


def _least_squares(runs: Sequence[PastRun], terms: tuple[int, ...]) -> RuntimeModel | None:
    """Minimise sum(((model - t) / t)^2) over the chosen terms; None when singular or a
    coefficient comes out negative."""
    n = len(terms)
    matrix = [[0.0] * (n + 1) for _ in range(n)]
    for run in runs:
        weight = run.weight / run.seconds**2
        x = [run.features[t] for t in terms]
        for i in range(n):
            for j in range(n):
                matrix[i][j] += weight * x[i] * x[j]
            matrix[i][n] += weight * x[i] * run.seconds
    solution = _solve(matrix)
    if solution is None or any(c < 0 for c in solution):
        return None
    coefficients = [0.0] * len(TERMS)
    for term, value in zip(terms, solution, strict=True):
        coefficients[term] = value
    return RuntimeModel(tuple(coefficients))


def _solve(augmented: list[list[float]]) -> list[float] | None:
    """Gaussian elimination with partial pivoting; None for a (near) singular system."""
    n = len(augmented)
    m = [row[:] for row in augmented]
    scale = max((abs(v) for row in m for v in row[:n]), default=0.0) or 1.0
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        if abs(m[pivot][col]) <= 1e-12 * scale:
            return None
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            factor = m[r][col] / m[col][col]
            for c in range(col, n + 1):
                m[r][c] -= factor * m[col][c]
    solution = [0.0] * n
    for r in range(n - 1, -1, -1):
        solution[r] = (m[r][n] - sum(m[r][c] * solution[c] for c in range(r + 1, n))) / m[r][r]
    return solution


def _relative_error(model: RuntimeModel, runs: Sequence[PastRun]) -> float:
    return sum(
        r.weight * ((model.predict(r.assets, r.steps) - r.seconds) / r.seconds) ** 2 for r in runs
    )


def _geometric_mean(values: Sequence[float], weights: Sequence[float]) -> float:
    total = sum(weights)
    return math.exp(sum(w * math.log(v) for v, w in zip(values, weights, strict=True)) / total)


def _quantile(ordered: Sequence[float], q: float) -> float:
    if not ordered:
        return 1.0
    position = q * (len(ordered) - 1)
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def queue_start_s(
    running_remaining_s: Sequence[float],
    ahead_s: Sequence[float],
    slots: int,
    slot_speeds: Sequence[float] = (),
) -> float:
    """Seconds until a job starts that waits behind ``ahead_s`` (expected run times, in the
    order they will start), on ``slots`` slots now busy for ``running_remaining_s`` more seconds.

    ``slot_speeds``: the speed factor of each slot's worker, busy slots first in the order of
    ``running_remaining_s``; then ``ahead_s`` are seconds on the reference machine and a job
    takes them times the speed of the slot it gets (the earliest free; of those, the fastest).
    Without it every slot is of speed 1."""
    if slots <= 0:
        return math.inf
    speeds = list(slot_speeds)[:slots] + [1.0] * max(0, slots - len(slot_speeds))
    if slot_speeds:
        busy = list(running_remaining_s)[:slots]
    else:
        busy = sorted(running_remaining_s)[:slots]
    free_at = [max(0.0, s) for s in busy] + [0.0] * (slots - len(busy))
    for seconds in ahead_s:
        slot = min(range(slots), key=lambda i: (free_at[i], speeds[i]))
        free_at[slot] += max(0.0, seconds) * speeds[slot]
    return min(free_at)
