"""The runtime estimate learns from past runs: tiny synthetic histories with a known answer."""

from __future__ import annotations

import math

import pytest

from omotes.estimation import PastRun, estimate, fit, queue_start_s

PRIOR = {"overhead_s": 10.0, "per_asset_step_s": 0.001}


def test_before_any_history_the_workflows_prior_answers_with_a_wide_range():
    result = estimate(20_000, [], PRIOR)

    assert result.seconds == pytest.approx(10 + 20)
    assert (result.low_s, result.high_s) == pytest.approx((15, 60))
    assert result.runs == 0 and "guess" in result.basis


def test_an_exact_linear_history_gives_its_line_back():
    # 5 s of overhead and 2 ms per asset and step, whatever the prior said.
    runs = [PastRun(work, 5 + 0.002 * work) for work in (1_000, 10_000, 50_000, 200_000)]

    model = fit(runs, PRIOR)
    result = estimate(100_000, runs, PRIOR)

    assert (model.overhead_s, model.per_work_s) == pytest.approx((5, 0.002))
    assert result.seconds == pytest.approx(205)
    assert result.runs == 4


def test_one_past_run_scales_the_prior():
    # The prior says 30 s for this work; it took 60: everything is twice as slow here.
    result = estimate(40_000, [PastRun(20_000, 60)], PRIOR)

    assert result.seconds == pytest.approx(2 * (10 + 40))


def test_the_range_is_the_spread_of_past_runs_around_the_fit():
    # Runs of the same line, each 20 % too slow or too fast, alternating.
    runs = [
        PastRun(work, (5 + 0.002 * work) * (1.2 if i % 2 else 0.8))
        for i, work in enumerate(range(1_000, 41_000, 2_000))
    ]

    result = estimate(10_000, runs)

    assert result.low_s < result.seconds < result.high_s
    assert result.high_s / result.low_s == pytest.approx(1.2 / 0.8, rel=0.05)


def test_estimates_improve_as_runs_are_added():
    truth = lambda work: 3 + 0.0005 * work  # noqa: E731
    works = [5_000, 400_000, 20_000, 90_000, 1_000_000, 60_000]
    errors = []
    for n in range(len(works)):
        runs = [PastRun(w, truth(w)) for w in works[:n]]
        errors.append(abs(estimate(250_000, runs, PRIOR).seconds / truth(250_000) - 1))
    assert errors[-1] < 0.01 < errors[0]


def test_a_job_waits_for_the_earliest_free_slot():
    # Two slots, busy for 30 and 100 s more; two jobs of 50 s ahead: 30+50=80, then 100.
    assert queue_start_s([30, 100], [50, 50], slots=2) == 100
    assert queue_start_s([30], [], slots=2) == 0
    assert queue_start_s([], [], slots=0) == math.inf
