"""How much slower than on an idle machine this worker's jobs run now (R18).

The calibration run (:mod:`omotes.worker.calibration`) says how fast the machine is; on a
shared host, how fast a job then runs depends on who else wants the cores: the same 600-asset
simulation took 135 s at a load of 6.6 on 2 cores and 547 s at 20. The *contention* is the
factor: 1.0 on an idle machine, 3.0 when a job gets a third of a core.

It is measured from the scheduler's own books (Linux ``/proc/<pid>/task/*/schedstat``: the
seconds each thread ran and the seconds it was ready to run but waited for a core): contention
is ``(ran + waited) / ran``. Time a job spends waiting on a database, a disk or the network is
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


def ran_and_waited_s(pid: int | str = "self") -> tuple[float, float] | None:
    """Seconds the threads of process ``pid`` ran on a core, and waited ready for one; None when
    unreadable (not Linux, or the process is gone)."""
    ran = waited = 0.0
    try:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            try:
                fields = stat.read_text().split()
            except OSError:  # the thread ended meanwhile
                continue
            ran += int(fields[0]) / 1e9
            waited += int(fields[1]) / 1e9
    except OSError:
        return None
    return (ran, waited) if ran > 0 else None


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
    pid: int | None
    at_start: float  # the contention now when it started (0: not measured)
    first: tuple[float, float] | None = None
    last: tuple[float, float] | None = None


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
        run = _Run(pid, self.now())
        run.first = run.last = ran_and_waited_s(pid) if pid else None
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
            measured = contention_between(run.first, run.last, MINIMUM_RUN_CPU_S)
            if measured is not None:
                return measured
        return run.at_start

    def tick(self, tick_s: float = TICK_S) -> None:
        """Read the running jobs' processes (and count each busy one's last tick as a figure
        now); with none running, probe once every :data:`INTERVAL_S`."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            if not run.pid:
                continue
            reading = ran_and_waited_s(run.pid)
            if reading is None:
                continue
            if run.last is not None:
                ran = reading[0] - run.last[0]
                waited = reading[1] - run.last[1]
                if ran > 0 and ran + waited >= BUSY_SHARE * tick_s:
                    self.record(contention_between(run.last, reading))
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
