"""The cyclic garbage collector kept off what a long-running service process built at start-up.

CPython's collector stops the whole interpreter, and a collection of the oldest generation walks
every container object the process holds: for a web process Django's URL resolvers and models,
pyesdl's metamodel and the rest of what was imported, about 320,000 objects that live as long as
the process and never become garbage. Under ``bench/load.py``'s 300 users each web process ran
such a collection every few seconds (request objects alive across the young collections reach
the oldest generation, then die there) and each held the interpreter for 380-640 ms: every
request in that process waited, and the waves of slow answers made much of the load test's p95.

So, once started, a process moves what it holds to the permanent generation (:func:`gc.freeze`),
where no collection looks again. The thresholds stay CPython's: raising the young one to 50,000
made fewer collections but each young one up to 40 ms long (``bench/heap.py``), a pause every
request of the process shares. Measured under the load test, per web process over the run:
collections 16 s in all, the oldest generation's at a median 400 ms, before; 7-8 s and 90-110 ms
after (bench/README.md).
"""

from __future__ import annotations

import gc


def settle() -> None:
    """Call once the process has imported and built what it keeps for its lifetime."""
    gc.collect()
    gc.freeze()
