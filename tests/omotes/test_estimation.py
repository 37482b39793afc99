"""The runtime estimate learns from past runs: tiny synthetic histories with a known answer."""

from __future__ import annotations

import math

import pytest

from omotes.estimation import PastRun, estimate, fit, queue_start_s

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

    assert model.coefficients == pytest.approx((5, 0.1, 0.002))
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
