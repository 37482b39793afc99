"""The runtime estimate learns from past runs: tiny synthetic histories with a known answer."""

from __future__ import annotations

import math

import pytest

from omotes.estimation import PastRun, estimate, fit, queue_start_s, speed_factor

PRIOR = {"overhead_s": 10.0, "per_asset_step_s": 0.001}


def truth(assets: float, steps: float) -> float:
    """5 s to start, 0.1 s per asset to build the network, 2 ms per asset and time step."""
    return 5 + 0.1 * assets + 0.002 * assets * steps


def test_before_any_history_the_workflows_prior_answers_with_a_wide_range():
    result = estimate(100, 200, [], PRIOR)

    assert result.seconds == pytest.approx(10 + 20)
    assert (result.low_s, result.high_s) == pytest.approx((15, 60))
    assert result.runs == 0 and "guess" in result.basis


def test_an_exact_history_gives_its_model_back():
    runs = [
        PastRun(assets, steps, truth(assets, steps))
        for assets, steps in ((10, 100), (100, 24), (600, 10), (50, 8760), (200, 365))
    ]

    model = fit(runs, PRIOR)
    result = estimate(300, 1000, runs, PRIOR)

    assert model.coefficients == pytest.approx((5, 0.1, 0.002, 0))
    assert result.seconds == pytest.approx(truth(300, 1000))
    assert result.runs == 5


def test_one_past_run_scales_the_prior():
    # The prior says 30 s for this size; it took 60: everything is twice as slow here.
    result = estimate(100, 400, [PastRun(100, 200, 60)], PRIOR)

    assert result.seconds == pytest.approx(2 * (10 + 40))


def test_the_range_is_the_spread_of_past_runs_around_the_fit():
    # Runs of the same model, each 20 % too slow or too fast, alternating.
    runs = [
        PastRun(assets, 100, truth(assets, 100) * (1.2 if i % 2 else 0.8))
        for i, assets in enumerate(range(10, 410, 20))
    ]

    result = estimate(100, 100, runs)

    assert result.low_s < result.seconds < result.high_s
    assert result.high_s / result.low_s == pytest.approx(1.2 / 0.8, rel=0.05)


def test_estimates_improve_as_runs_are_added():
    sizes = [(10, 48), (400, 24), (50, 8760), (100, 720), (600, 168), (25, 2000), (200, 100)]
    errors = []
    for n in range(len(sizes)):
        runs = [PastRun(a, s, truth(a, s)) for a, s in sizes[:n]]
        errors.append(abs(estimate(300, 500, runs, PRIOR).seconds / truth(300, 500) - 1))
    assert errors[-1] < 0.01 < errors[0]


def test_a_job_waits_for_the_earliest_free_slot():
    # Two slots, busy for 30 and 100 s more; two jobs of 50 s ahead: 30+50=80, then 100.
    assert queue_start_s([30, 100], [50, 50], slots=2) == 100
    assert queue_start_s([30], [], slots=2) == 0
    assert queue_start_s([], [], slots=0) == math.inf


def test_recent_runs_count_more_when_the_machine_got_faster():
    sizes = [(10, 48), (400, 24), (50, 8760), (100, 720), (600, 168), (25, 2000)]
    # Older runs (small weight) on a machine twice as slow; the newest ones at full speed.
    runs = [PastRun(a, s, 2 * truth(a, s), weight=0.05) for a, s in sizes]
    runs += [PastRun(a, s, truth(a, s), weight=1.0) for a, s in sizes[:4]]

    assert estimate(300, 500, runs, PRIOR).seconds == pytest.approx(truth(300, 500), rel=0.15)


def test_a_fast_and_a_slow_worker_share_one_history():
    # Worker "slow" calibrated at 3 ms per asset and step, "fast" at 1 ms: the same jobs take
    # three times as long on the slow one. Normalised by their speeds, the runs agree exactly.
    slow, fast = speed_factor(3e-3), speed_factor(1e-3)
    sizes = [(10, 48), (400, 24), (50, 8760), (100, 720), (600, 168), (25, 2000)]
    runs = [PastRun(a, s, slow * truth(a, s), speed=slow) for a, s in sizes[::2]]
    runs += [PastRun(a, s, fast * truth(a, s), speed=fast) for a, s in sizes[1::2]]

    on_slow = estimate(300, 500, runs, PRIOR, speed=slow)
    on_fast = estimate(300, 500, runs, PRIOR, speed=fast)

    assert on_fast.seconds == pytest.approx(truth(300, 500) * fast, rel=1e-3)
    assert on_slow.seconds == pytest.approx(3 * on_fast.seconds, rel=1e-3)
    assert on_slow.high_s / on_slow.low_s == pytest.approx(1.0, abs=1e-3)


def test_without_history_the_prior_runs_at_the_workers_calibrated_speed():
    # A worker that calibrated at 4 ms per asset and step: the prior's 1 ms becomes 4 ms.
    result = estimate(100, 200, [], PRIOR, speed=speed_factor(4e-3))

    assert result.seconds == pytest.approx(4 * (10 + 20))
    assert result.reference_s == pytest.approx(10 + 20)
    assert "measured speed" in result.basis


def test_an_optimisers_history_picks_the_squared_term():
    # One "step" per run (the optimiser's horizon is fixed): 5 s plus 30 ms per asset squared.
    def solve_s(assets: float) -> float:
        return 5 + 0.03 * assets**2

    runs = [PastRun(a, 1, solve_s(a)) for a in (4, 10, 25, 50, 100, 200)]

    result = estimate(400, 1, runs, {"overhead_s": 10.0, "per_asset_s": 1.0})

    assert result.seconds == pytest.approx(solve_s(400), rel=0.01)


def test_a_queued_job_runs_at_the_speed_of_the_slot_it_gets():
    # Slot 0 busy 30 s more on a worker twice as slow; slot 1 free, of speed 1. A 50 s job
    # ahead takes the free fast slot (until 50); the next job starts when slot 0 frees, at 30.
    assert queue_start_s([30], [50], slots=2, slot_speeds=[2.0, 1.0]) == 30
    # Two jobs ahead: the first on slot 1 (0 -> 50), the second on slot 0 (30 -> 30+2x50=130).
    assert queue_start_s([30], [50, 50], slots=2, slot_speeds=[2.0, 1.0]) == 50


# -- a runtime family (simulator and simulate_kpis run the same simulation) --------------------

SIZES = [(10, 100), (100, 24), (600, 10), (50, 8760), (200, 365)]


def test_a_workflow_learns_the_terms_from_the_runs_of_its_family():
    # Five simulator runs tell the terms apart; simulate_kpis ran once, as long as the
    # simulator would have: alone, that one run could only scale the prior.
    runs = [PastRun(a, s, truth(a, s), workflow="simulator") for a, s in SIZES]
    runs.append(PastRun(20, 48, truth(20, 48)))  # of the workflow estimated

    pooled = estimate(300, 1000, runs, PRIOR, workflow="simulate_kpis")
    alone = estimate(300, 1000, runs[-1:], PRIOR, workflow="simulate_kpis")

    assert pooled.seconds == pytest.approx(truth(300, 1000), rel=1e-6)
    assert pooled.runs == 6
    assert abs(alone.seconds / truth(300, 1000) - 1) > 0.3


def test_before_its_own_first_run_a_workflow_takes_its_familys_runs_as_they_are():
    runs = [PastRun(a, s, truth(a, s), workflow="simulator") for a, s in SIZES]

    result = estimate(300, 1000, runs, PRIOR, workflow="simulate_kpis")

    assert result.seconds == pytest.approx(truth(300, 1000), rel=1e-6)


def test_each_member_of_a_family_keeps_its_own_level():
    # simulate_kpis takes 25 % longer than the simulator at every size (its KPI step).
    simulator = [PastRun(a, s, truth(a, s), workflow="simulator") for a, s in SIZES]
    kpis = [PastRun(a, s, 1.25 * truth(a, s), workflow="simulate_kpis") for a, s in SIZES]

    for_kpis = estimate(300, 1000, simulator + kpis, PRIOR, workflow="simulate_kpis")
    for_simulator = estimate(300, 1000, simulator + kpis, PRIOR, workflow="simulator")

    # The other member's level is shrunk towards the estimated one's by one pseudo-run (5 runs
    # count 5/6): the fit of 10 runs then sits at 1.25 ** (6/7) for simulate_kpis and at
    # 1.25 ** (1/7) for the simulator, 1.25 ** (5/7) apart (the log-mean reasoning; the fit is on
    # relative errors, hence the tolerance).
    ratio = for_kpis.seconds / for_simulator.seconds
    assert ratio == pytest.approx(1.25 ** (5 / 7), rel=0.02)
    assert for_simulator.seconds == pytest.approx(truth(300, 1000), rel=0.05)
    assert for_kpis.seconds == pytest.approx(1.25 * truth(300, 1000), rel=0.05)


# -- contention: how much slower than on an idle machine a run went -------------------------


def test_runs_on_a_busy_machine_normalised_by_their_contention_give_the_idle_model():
    # The same machine, idle for some runs and shared three or six ways for others: each run
    # took ``contention`` times as long. The contention now stretches the likely range only.
    contentions = [1.0, 3.0, 6.0, 1.0, 2.5]
    runs = [
        PastRun(a, s, c * truth(a, s), speed=c)
        for (a, s), c in zip(SIZES, contentions, strict=True)
    ]

    idle = estimate(300, 1000, runs, PRIOR, speed=1.0)
    busy = estimate(300, 1000, runs, PRIOR, speed=1.0, contention=4.0)
    raw = estimate(300, 1000, [PastRun(r.assets, r.steps, r.seconds) for r in runs], PRIOR)

    assert idle.seconds == pytest.approx(truth(300, 1000), rel=1e-6)
    assert busy.seconds == idle.seconds and busy.low_s == idle.low_s
    assert busy.high_s == pytest.approx(4 * truth(300, 1000), rel=1e-6)
    assert idle.high_s / idle.low_s == pytest.approx(1.0, abs=1e-6)
    # Not normalised, the same runs look all over the place, and the estimate is far off.
    assert raw.high_s / raw.low_s > 1.4
    assert abs(raw.seconds / truth(300, 1000) - 1) > 0.2
    assert "busy" in busy.basis and "4.0x slower" in busy.basis
    assert "busy" not in idle.basis
