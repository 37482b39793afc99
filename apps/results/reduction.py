"""Reducing a time series to what a chart of a given width can show (min/max per time bucket).

A chart ``width`` pixels wide cannot show more than about one value pair per pixel column, so a
range holding more points than that is reduced to the minimum and the maximum of each time bucket
of ``bucket_s`` seconds. Drawn as a line through (bucket, min) and (bucket, max) this gives the same
picture as the raw points at that width: every peak and every trough stays visible, which an
average would flatten.

Buckets are aligned to multiples of ``bucket_s`` since the Unix epoch (bucket of ``t`` starts at
``t - t % bucket_s``), the grid InfluxQL's ``GROUP BY time(<bucket_s>s)`` uses, so a reduction
done by InfluxDB and this pure function give the same numbers; the tests hold one against the
other (the comparison charts reduce here, from the points kept in Redis). Empty buckets are left
out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Narrowest and widest chart widths (pixels) a client may ask for.
MIN_WIDTH_PX = 10
MAX_WIDTH_PX = 10_000


@dataclass(frozen=True)
class Buckets:
    """Min and max of each non-empty bucket; ``times`` are bucket starts (epoch seconds)."""

    bucket_s: int
    times: list[int]
    minimum: list[float]
    maximum: list[float]


def bucket_seconds(start_s: int, end_s: int, width_px: int) -> int:
    """Whole seconds per bucket so that ``[start_s, end_s]`` fits in ``width_px`` buckets.

    Because buckets are aligned to the epoch, the range may touch one bucket more than
    ``width_px``; a chart tolerates that.
    """
    if width_px < 1:
        raise ValueError("width_px must be positive")
    span = max(int(end_s) - int(start_s), 1)
    return max(1, math.ceil(span / width_px))


def needs_reduction(points_in_range: int, width_px: int) -> bool:
    """Whether min/max buckets hold fewer values than the raw points (two values per bucket)."""
    return points_in_range > 2 * width_px


def reduce_min_max(
    times_s: Sequence[int] | np.ndarray, values: Sequence[float] | np.ndarray, bucket_s: int
) -> Buckets:
    """Min and max of ``values`` per epoch-aligned bucket of ``bucket_s`` seconds.

    ``times_s`` must be in ascending order (as InfluxDB returns them); NaN values are ignored.
    """
    if bucket_s < 1:
        raise ValueError("bucket_s must be at least 1")
    t = np.asarray(times_s, dtype=np.int64)
    v = np.asarray(values, dtype=np.float64)
    if t.shape != v.shape:
        raise ValueError("times_s and values differ in length")
    keep = ~np.isnan(v)
    t, v = t[keep], v[keep]
    if t.size == 0:
        return Buckets(bucket_s, [], [], [])
    if t.size > 1 and np.any(np.diff(t) < 0):
        raise ValueError("times_s must be ascending")
    times, minimum, maximum = min_max_arrays(t, v, bucket_s)
    return Buckets(bucket_s, times.tolist(), minimum.tolist(), maximum.tolist())


def min_max_arrays(
    times_s: np.ndarray, values: np.ndarray, bucket_s: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bucket starts, minima and maxima as arrays: the core of :func:`reduce_min_max`.

    For points known to be ascending and free of NaN (a stored series), unchecked and without
    leaving NumPy, so a chart can place them on its axis before they become lists.
    """
    if times_s.size == 0:
        return times_s[:0], values[:0], values[:0]
    starts = times_s - np.mod(times_s, bucket_s)
    # Boundaries of runs of equal bucket start: ascending times make each bucket one run.
    first = np.flatnonzero(np.r_[True, starts[1:] != starts[:-1]])
    return starts[first], np.minimum.reduceat(values, first), np.maximum.reduceat(values, first)
