"""Min/max per bucket: the pure function every reduced chart is held against."""

from __future__ import annotations

import math

import numpy as np
import pytest

from apps.results.reduction import bucket_seconds, needs_reduction, reduce_min_max


def test_each_bucket_holds_the_min_and_max_of_its_points():
    times = [0, 10, 20, 30, 40, 50]
    values = [5.0, -1.0, 3.0, 7.0, 2.0, 9.0]

    buckets = reduce_min_max(times, values, bucket_s=30)

    assert buckets.times == [0, 30]
    assert buckets.minimum == [-1.0, 2.0]
    assert buckets.maximum == [5.0, 9.0]


def test_buckets_are_aligned_to_the_epoch_and_empty_ones_left_out():
    buckets = reduce_min_max([95, 105, 400], [1.0, 2.0, 3.0], bucket_s=100)

    assert buckets.times == [0, 100, 400]
    assert buckets.minimum == [1.0, 2.0, 3.0]


def test_a_year_keeps_its_extremes_and_fits_the_width():
    rng = np.random.default_rng(7)
    times = 1_546_300_800 + 3600 * np.arange(8760)
    values = rng.normal(size=8760)
    values[1234] = 50.0
    values[4321] = -50.0
    bucket_s = bucket_seconds(int(times[0]), int(times[-1]), 800)

    buckets = reduce_min_max(times, values, bucket_s)

    assert len(buckets.times) <= 801
    assert max(buckets.maximum) == 50.0
    assert min(buckets.minimum) == -50.0
    for t, low, high in zip(buckets.times, buckets.minimum, buckets.maximum, strict=True):
        inside = values[(times >= t) & (times < t + bucket_s)]
        assert (low, high) == (inside.min(), inside.max())


def test_nan_values_are_ignored():
    buckets = reduce_min_max([0, 1, 2], [math.nan, 4.0, 1.0], bucket_s=10)

    assert (buckets.minimum, buckets.maximum) == ([1.0], [4.0])


def test_unsorted_times_are_refused():
    with pytest.raises(ValueError, match="ascending"):
        reduce_min_max([10, 0], [1.0, 2.0], bucket_s=5)


def test_reduction_pays_only_above_two_points_per_pixel():
    assert not needs_reduction(2000, 1000)
    assert needs_reduction(2001, 1000)
    assert bucket_seconds(0, 8759 * 3600, 1000) == math.ceil(8759 * 3600 / 1000)
