"""The cyclic garbage collector set for a long-running service process.

CPython's collector stops the whole interpreter, and a full collection walks every container
object the process holds. For a web process that is Django's URL resolvers and models, pyesdl's
metamodel and the rest of what was imported: objects that live as long as the process and never
become garbage. With the default thresholds (700, 10, 10) a request's short-lived objects
were promoted to the oldest generation, so under ``bench/load.py``'s 300 users each web process
ran a full collection every few seconds that held the interpreter for 380-640 ms: every request in
that process waited, and the waves of slow answers made the load test's p95 (bench/README.md).

So, once started, a process moves what it holds to the permanent generation (:func:`gc.freeze`),
where no collection looks, and collects its young objects less often, so that a request's
objects are mostly gone before a collection sees them and fewer reach the older generations.
Cycles are still collected; only objects made before the freeze are never examined again.
"""

from __future__ import annotations

import gc

#: Allocations (less deallocations) between two collections of the youngest generation; the
#: default 700 is a few dozen objects of a Django request.
YOUNG_THRESHOLD = 50_000
#: Young collections per middle one, middle ones per full one (the defaults are 10 and 10).
OLDER_THRESHOLDS = (20, 20)


def settle() -> None:
    """Call once the process has imported and built what it keeps for its lifetime."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
