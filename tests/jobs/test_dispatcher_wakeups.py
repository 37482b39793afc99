"""The dispatcher is woken when a move may let a queued job start (the queue grew or a slot
freed), and not by the moves that only take a slot (its own dispatch, a start)."""

from __future__ import annotations

import pytest

from apps.jobs import lifecycle
from designtoolkit import wakeups
from tests.jobs.builders import make_job


def test_moves_that_grow_the_queue_or_free_a_slot_wake_the_dispatcher_and_no_others() -> None:
    moves = [m for m in vars(lifecycle).values() if isinstance(m, lifecycle.Transition)]
    waking = {m.name for m in moves if m.wakes_dispatcher}

    assert waking == {
        "submit",
        "requeue",
        "requeue_after_restore",
        "succeed",
        "fail",
        "cancel",
        "give_up",
        "time_out",
        "no_worker",
    }
    assert {m.name for m in moves} - waking == {"dispatch", "start", "progress"}


@pytest.mark.django_db(transaction=True)
def test_a_waking_move_notifies_the_dispatcher_when_it_commits(owner):
    # (Only the positive case here: other tests' processes move jobs in the same database.)
    listener = wakeups.listen(lifecycle.DISPATCH_CHANNEL)
    try:
        job = make_job(owner)
        assert lifecycle.transition(job.pk, lifecycle.SUBMIT)
        assert any(True for _ in listener.notifies(timeout=5, stop_after=1))
    finally:
        listener.close()
