"""The dispatcher is woken when a move may let a queued job start (the queue grew or a slot
freed), and not by the moves that only take a slot (its own dispatch, a start)."""

from __future__ import annotations

import pytest

from apps.jobs import lifecycle
from designtoolkit import wakeups
from tests.jobs.builders import make_job


@pytest.mark.django_db(transaction=True)
def test_submit_requeue_and_end_wake_the_dispatcher_dispatch_and_start_do_not(owner):
    listener = wakeups.listen(lifecycle.DISPATCH_CHANNEL)
    job = make_job(owner)

    def wakes(move: lifecycle.Transition, **fields) -> bool:
        assert lifecycle.transition(job.pk, move, **fields)
        return any(True for _ in listener.notifies(timeout=0.5, stop_after=1))

    try:
        assert wakes(lifecycle.SUBMIT)
        assert not wakes(lifecycle.DISPATCH)
        assert not wakes(lifecycle.START, run_id="run-1", worker_id="w")
        assert not wakes(lifecycle.PROGRESS, run_id="run-1", progress=0.5)
        assert wakes(lifecycle.REQUEUE, run_id="run-1")
        assert not wakes(lifecycle.START, run_id="run-2", worker_id="w")
        assert wakes(lifecycle.SUCCEED, run_id="run-2")
    finally:
        listener.close()
