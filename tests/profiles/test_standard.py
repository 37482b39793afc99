"""Tests for the offline BDEW standard heat profiles (no Django needed)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from apps.profiles.standard import BUILDING_TYPES, bdew_heat_profile

START = datetime(2019, 1, 1, 0, tzinfo=UTC)
END = datetime(2019, 12, 31, 23, tzinfo=UTC)
PEAK_W = 12_345.0


@pytest.fixture(scope="module")
def year_profile() -> list[tuple[datetime, float]]:
    return bdew_heat_profile(START, END, PEAK_W)


def test_full_year_has_one_value_per_hour(year_profile: list[tuple[datetime, float]]) -> None:
    assert len(year_profile) == 8760
    stamps = [t for t, _ in year_profile]
    assert all(b - a == timedelta(hours=1) for a, b in zip(stamps, stamps[1:], strict=False))


def test_first_and_last_timestamps_exact(year_profile: list[tuple[datetime, float]]) -> None:
    assert year_profile[0][0] == START
    assert year_profile[-1][0] == END
    assert year_profile[0][0].utcoffset() == timedelta(0)


def test_maximum_equals_peak(year_profile: list[tuple[datetime, float]]) -> None:
    values = [v for _, v in year_profile]
    assert max(values) == PEAK_W
    assert min(values) > 0


def test_winter_mean_above_summer_mean(year_profile: list[tuple[datetime, float]]) -> None:
    winter = [v for t, v in year_profile if t.month in (12, 1, 2)]
    summer = [v for t, v in year_profile if t.month in (6, 7, 8)]
    assert sum(winter) / len(winter) > 2 * (sum(summer) / len(summer))


def test_non_hour_start_refused() -> None:
    with pytest.raises(ValueError):
        bdew_heat_profile(START.replace(minute=30), END, PEAK_W)
    with pytest.raises(ValueError):
        bdew_heat_profile(START, END.replace(second=1), PEAK_W)


def test_partial_and_multi_year_periods() -> None:
    start = datetime(2019, 11, 15, 6, tzinfo=UTC)
    end = datetime(2021, 2, 1, 5, tzinfo=UTC)
    profile = bdew_heat_profile(start, end, 1000.0, building_type="MFH", building_class=3)
    assert profile[0][0] == start
    assert profile[-1][0] == end
    assert len(profile) == (end - start) // timedelta(hours=1) + 1
    assert max(v for _, v in profile) == 1000.0


def test_all_building_types_work() -> None:
    end = START + timedelta(days=7, hours=-1)
    for building_type in BUILDING_TYPES:
        profile = bdew_heat_profile(START, end, 500.0, building_type=building_type)
        assert len(profile) == 168
        assert max(v for _, v in profile) == 500.0


def test_year_is_fast() -> None:
    began = time.perf_counter()
    bdew_heat_profile(datetime(2023, 1, 1, tzinfo=UTC), datetime(2023, 12, 31, 23, tzinfo=UTC), 1.0)
    assert time.perf_counter() - began < 2.0
