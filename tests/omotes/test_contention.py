"""A worker's contention (R18): how much slower than on an idle machine its jobs run, from the
scheduler's figures of the job's process while it runs, and of a tiny probe while none does."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest

from omotes.worker import contention
from omotes.worker.contention import (
    ContentionMeter,
    ProcessBook,
    Reading,
    probe,
    process_contention,
)

pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/self/schedstat"), reason="needs Linux's scheduler figures"
)

BUSY = [sys.executable, "-c", "while True: pass"]


@pytest.fixture
def one_core():
    """This process pinned to one core, and the processes it starts meanwhile."""
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(before)})
    yield
    os.sched_setaffinity(0, before)


def busy_processes(count: int) -> list[subprocess.Popen]:
    started = [subprocess.Popen(BUSY) for _ in range(count)]
    time.sleep(0.3)  # their busy loops are running
    return started


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.kill()
        process.wait()


def test_a_probe_sharing_its_core_with_a_busy_process_gets_at_most_half_of_it(one_core):
    others = busy_processes(1)
    try:
        shared = max(probe(0.1) for _ in range(3))
    finally:
        stop(others)

    # Whatever else runs on that core (the machine is shared), at least the busy process does.
    assert shared >= 1.7


def test_a_job_sharing_its_core_with_two_busy_processes_gets_at_most_a_third(one_core, monkeypatch):
    monkeypatch.setattr(contention, "MINIMUM_RUN_CPU_S", 0.05)  # a busy host gives it little
    meter = ContentionMeter()
    (job,) = busy_processes(1)
    others = busy_processes(2)
    try:
        meter.start("shared", job.pid)
        for _ in range(4):
            time.sleep(0.5)
            meter.tick(0.5)
        shared = meter.end("shared")
    finally:
        stop([job, *others])

    assert shared >= 2.5
    # Each tick the job was busy counts as a figure now.
    assert meter.now() >= 2.5


def test_a_job_waiting_on_something_else_than_a_core_is_not_contended(one_core):
    # A process that mostly sleeps (as a job does while InfluxDB writes) waits for no core.
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    meter = ContentionMeter()
    try:
        time.sleep(0.3)
        meter.start("sleeping", sleeper.pid)
        time.sleep(1.0)
        meter.tick()
        before = meter.now()
        # It barely ran: its contention is the one at its start (not measured here: 0).
        assert meter.end("sleeping") == 0.0
    finally:
        stop([sleeper])
    assert before == 0.0  # an idle tick of the job is no figure


def test_a_process_that_is_gone_reads_as_not_measured():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()

    assert ProcessBook(gone.pid).read() is None
    assert ProcessBook(os.getpid()).read() is not None


# A child whose work runs in a thread that then ends (as the result writers' threads do).
THREAD_THAT_ENDS = """
import threading, time
def work():
    began = time.thread_time()
    while time.thread_time() - began < 0.8:
        pass
threading.Thread(target=work).start()
time.sleep(30)
"""


def test_the_work_of_a_thread_that_ended_still_counts_for_its_run(one_core):
    child = subprocess.Popen([sys.executable, "-c", THREAD_THAT_ENDS])
    meter = ContentionMeter()
    try:
        meter.start("threaded", child.pid)
        for _ in range(12):  # the thread ends after about 0.8 s of them
            time.sleep(0.2)
            meter.tick(0.2)
        threaded = meter.end("threaded")
    finally:
        stop([child])

    # Summed afresh at the end, the ended thread's second would be gone and the run too short
    # to tell (then it takes the contention at its start, not measured here: 0).
    assert 1.0 <= threaded < 1.5


def test_a_run_is_at_most_as_contended_as_its_wall_time_over_its_cpu_time():
    began = Reading(ran_s=0.0, waited_s=0.0, cpu_s=0.0, at_s=0.0)

    # What a quiet machine once read: 53 CPU seconds in 54 s, yet 210 s of waiting booked.
    assert process_contention(began, Reading(50.0, 210.0, 52.7, 54.3)) == pytest.approx(
        1.03, abs=0.01
    )
    # A job that got a third of a core: the books and the clocks agree.
    assert process_contention(began, Reading(10.0, 20.0, 10.0, 31.0)) == pytest.approx(3.0)
    # Threads running in parallel (more CPU than wall time) waited for no core.
    assert process_contention(began, Reading(20.0, 2.0, 20.0, 10.0)) == 1.0
    # Too little CPU to tell.
    assert process_contention(began, Reading(0.1, 0.5, 0.1, 0.6), minimum_ran_s=0.5) is None


def test_with_no_job_running_the_meter_probes_until_it_is_stopped():
    meter = ContentionMeter()
    stopping = threading.Event()
    thread = threading.Thread(target=meter.keep_measuring, args=(stopping, 0.01))
    thread.start()
    time.sleep(0.3)
    stopping.set()
    thread.join(5)

    assert not thread.is_alive()
    assert meter.now() >= 1.0
