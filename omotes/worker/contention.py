"""How much slower than on an idle machine this worker's jobs run now (R18).

The calibration run (:mod:`omotes.worker.calibration`) says how fast the machine is; on a
shared host, how fast a job then runs depends on who else wants the cores: the same 600-asset
simulation took 135 s at a load of 6.6 on 2 cores and 547 s at 20. The *contention* is the
factor: 1.0 on an idle machine, 3.0 when a job gets a third of a core.

It is measured from the scheduler's own books (Linux ``/proc/<pid>/task/*/schedstat``: the
seconds each thread ran and the seconds it was ready to run but waited for a core): contention
is ``(ran + waited) / ran``, at most the job's wall time over its CPU time
(:func:`process_contention`). Time a job spends waiting on a database, a disk or the network is
neither, so a job that writes its results for a minute does not look contended; and it holds
whatever divides the cores, the kernel's grouping of processes (autogroup) or a cgroup limit,
where the load average would not.

- While a job runs, the worker reads its process every :data:`TICK_S`: its contention over
  the run is what the worker reports with the result, so the frontend learns each run as it
  would have taken on an idle machine; its contention over each tick is what a job starting
  now would meet.
- While no job runs, a tiny probe every :data:`INTERVAL_S` stands in for one: a busy loop of
  :data:`PROBE_CPU_S` CPU seconds in a thread of the worker (about 1 % of a core).

The heartbeats carry the mean of the last :data:`RECENT` figures (the contention now).
Elsewhere than on Linux nothing is measured (0: the frontend takes 1).
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

#: Seconds between probes while no job runs.
INTERVAL_S = 5.0
#: Seconds between readings of the running jobs.
TICK_S = 1.0
#: CPU seconds of one probe: long enough that the scheduler's favour to a task that slept (a
#: few ms at once) does not hide the queue it then waits in.
PROBE_CPU_S = 0.05
#: Figures averaged into the contention announced now.
RECENT = 6
#: A job's tick counts for the contention now only when the job wanted a core (ran or waited
#: for one) for at least this share of it (a job waiting on InfluxDB says nothing of the cores).
BUSY_SHARE = 0.2
#: A run's contention needs at least this many CPU seconds of it; a shorter run takes the
#: contention at its start.
MINIMUM_RUN_CPU_S = 0.5
#: Clock ticks a second, the unit of a process's CPU time in ``/proc/<pid>/stat``.
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Reading:
    """One reading of a process: the seconds its threads ran on a core and waited ready for one
    (the scheduler's books), its CPU seconds (the kernel's accounting, which keeps the time of
    threads that ended) and when it was taken (monotonic seconds)."""

    ran_s: float
    waited_s: float
    cpu_s: float
    at_s: float


class ProcessBook:
    """The scheduler's figures of one process, thread by thread, kept for threads that ended.

    A process's threads come and go during a job (the result writers, BLAS's pool): summed
    afresh at each reading, a thread that ended takes its figures out of the sum again, and the
    difference of two sums is then no longer what ran and waited between them.
    """

    def __init__(self, pid: int | str = "self") -> None:
        self.pid = pid
        self._threads: dict[str, tuple[float, float]] = {}

    def read(self) -> Reading | None:
        """The process now; None when unreadable (not Linux, or the process is gone)."""
        try:
            tasks = list(Path(f"/proc/{self.pid}/task").iterdir())
            cpu_s = _cpu_s(self.pid)
        except OSError:
            return None
        for task in tasks:
            try:
                fields = (task / "schedstat").read_text().split()
            except OSError:  # the thread ended meanwhile
                continue
            self._threads[task.name] = (int(fields[0]) / 1e9, int(fields[1]) / 1e9)
        ran = sum(ran for ran, _ in self._threads.values())
        waited = sum(waited for _, waited in self._threads.values())
        return Reading(ran, waited, cpu_s, time.monotonic()) if ran > 0 else None


def _cpu_s(pid: int | str) -> float:
    """User and system CPU seconds of the whole process, its ended threads included."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS


def _thread_ran_and_waited_s() -> tuple[float, float] | None:
    try:
        fields = Path("/proc/thread-self/schedstat").read_text().split()
    except OSError:
        return None
    return int(fields[0]) / 1e9, int(fields[1]) / 1e9


def contention_between(
    first: tuple[float, float], last: tuple[float, float], minimum_ran_s: float = 0.0
) -> float | None:
    """(ran + waited) / ran between two readings; None when it ran less than ``minimum_ran_s``."""
    ran, waited = last[0] - first[0], last[1] - first[1]
    if ran <= max(minimum_ran_s, 0.0) or ran <= 0:
        return None
    return max(1.0, (ran + max(waited, 0.0)) / ran)


def process_contention(first: Reading, last: Reading, minimum_ran_s: float = 0.0) -> float | None:
    """A process's contention between two readings, at most its wall time over its CPU time.

    Why the bound: a job that waited for cores for as long as it ran took twice its CPU time on
    the wall clock, so wall / CPU can only be larger than the contention (a job also waits on
    InfluxDB), never smaller. A reading above it is the scheduler's books read wrong: on a
    quiet machine one run of 53 CPU seconds in 54 s read 5.2, and the estimate learned from it
    that such a job takes a fifth of the time. (A job whose threads run in parallel on several
    cores has more CPU than wall time; it is taken as uncontended, which the simulator, single
    threaded, never is.)
    """
    measured = contention_between(
        (first.ran_s, first.waited_s), (last.ran_s, last.waited_s), minimum_ran_s
    )
    cpu_s = last.cpu_s - first.cpu_s
    if measured is None or cpu_s <= 0:
        return measured
    return min(measured, max(1.0, (last.at_s - first.at_s) / cpu_s))


def probe(cpu_s: float = PROBE_CPU_S) -> float | None:
    """The contention a busy loop of ``cpu_s`` CPU seconds meets in this thread; None when the
    scheduler's figures cannot be read. (A wait for Python's GIL is a sleep, not counted.)"""
    first = _thread_ran_and_waited_s()
    if first is None:
        return None
    began = time.thread_time()
    while time.thread_time() - began < cpu_s:
        sum(range(1000))
    last = _thread_ran_and_waited_s()
    return None if last is None else contention_between(first, last)


@dataclass
class _Run:
    book: ProcessBook | None  # None: the process is not known
    at_start: float  # the contention now when it started (0: not measured)
    first: Reading | None = None
    last: Reading | None = None


class ContentionMeter:
    """The contention of one worker, now and per run (see the module docstring)."""

    def __init__(self) -> None:
        self._recent: deque[float] = deque(maxlen=RECENT)
        self._runs: dict[str, _Run] = {}
        self._lock = threading.Lock()
        self._last_probe = -float("inf")

    def record(self, contention: float | None) -> None:
        if contention is not None:
            with self._lock:
                self._recent.append(contention)

    def now(self) -> float:
        """The mean of the recent figures; 0.0 before the first (not measured)."""
        with self._lock:
            return sum(self._recent) / len(self._recent) if self._recent else 0.0

    def start(self, run_id: str, pid: int | None) -> None:
        """A run starts in process ``pid`` (None: not known, then it takes the contention now)."""
        run = _Run(ProcessBook(pid) if pid else None, self.now())
        run.first = run.last = run.book.read() if run.book else None
        with self._lock:
            self._runs[run_id] = run

    def end(self, run_id: str) -> float:
        """The run's contention, from its process's first reading to its last; the contention
        at its start when it ran too briefly to tell; 0.0 when neither was measured."""
        with self._lock:
            run = self._runs.pop(run_id, None)
        if run is None:
            return 0.0
        if run.first and run.last:
            measured = process_contention(run.first, run.last, MINIMUM_RUN_CPU_S)
            if measured is not None:
                return measured
        return run.at_start

    def tick(self, tick_s: float = TICK_S) -> None:
        """Read the running jobs' processes (and count each busy one's last tick as a figure
        now); with none running, probe once every :data:`INTERVAL_S`."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            reading = run.book.read() if run.book else None
            if reading is None:
                continue
            if run.last is not None:
                ran = reading.ran_s - run.last.ran_s
                waited = reading.waited_s - run.last.waited_s
                if ran > 0 and ran + waited >= BUSY_SHARE * tick_s:
                    self.record(process_contention(run.last, reading))
            run.first = run.first or reading
            run.last = reading
        if not runs and time.monotonic() - self._last_probe >= INTERVAL_S:
            self._last_probe = time.monotonic()
            self.record(probe())

    def keep_measuring(self, stopping: threading.Event, tick_s: float = TICK_S) -> None:
        """Tick every ``tick_s`` until ``stopping`` is set (a thread's loop)."""
        while True:
            self.tick(tick_s)
            if stopping.wait(tick_s):
                return
