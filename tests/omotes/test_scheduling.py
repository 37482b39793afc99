"""The QoS policies as pure functions: who starts next when slots free up (R6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from omotes.scheduling import QueuedJob, RunningJob, fair_share, fifo

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def queued(key: str, n: int, start: int = 0, workflow: str = "sim", priority: int = 0):
    return [
        QueuedJob(f"{key}{i}", workflow, key, T0 + timedelta(seconds=start + i), priority)
        for i in range(n)
    ]


def test_light_user_goes_before_the_heavy_users_backlog():
    heavy = queued("a", 100)
    light = queued("b", 1, start=1000)
    running = [RunningJob("a-run", "sim", "a")]

    chosen = fair_share(heavy + light, running, {"sim": 1})

    assert [job.job_id for job in chosen] == ["b0"]


def test_fifo_makes_the_light_user_wait_for_the_backlog():
    chosen = fifo(queued("a", 100) + queued("b", 1, start=1000), [], {"sim": 1})

    assert [job.job_id for job in chosen] == ["a0"]


def test_free_slots_are_shared_evenly_between_users():
    chosen = fair_share(queued("a", 10) + queued("b", 10, start=100), [], {"sim": 4})

    assert sorted(job.fairness_key for job in chosen) == ["a", "a", "b", "b"]


def test_each_user_starts_their_oldest_job_first():
    chosen = fair_share(queued("a", 3), [], {"sim": 2})

    assert [job.job_id for job in chosen] == ["a0", "a1"]


def test_less_recent_use_wins_a_tie():
    jobs = queued("a", 1) + queued("b", 1, start=10)

    chosen = fair_share(jobs, [], {"sim": 1}, recent_usage_s={"a": 3600.0, "b": 60.0})

    assert [job.fairness_key for job in chosen] == ["b"]


def test_higher_priority_class_goes_first():
    jobs = queued("a", 2) + queued("b", 1, start=10, priority=1)

    chosen = fair_share(jobs, [RunningJob("b-run", "sim", "b")], {"sim": 1})

    assert [job.job_id for job in chosen] == ["b0"]


def test_cap_on_running_jobs_per_user_holds_back_their_queue():
    running = [RunningJob("a-run", "sim", "a")]

    chosen = fair_share(queued("a", 5), running, {"sim": 3}, max_running_per_key=2)

    assert [job.job_id for job in chosen] == ["a0"]


def test_jobs_only_start_into_free_slots_of_their_workflow():
    jobs = queued("a", 2, workflow="sim") + queued("b", 2, start=10, workflow="opt")

    chosen = fair_share(jobs, [], {"sim": 0, "opt": 1})

    assert [job.job_id for job in chosen] == ["b0"]
