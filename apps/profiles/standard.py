"""Standard heat-demand profiles (BDEW "Standardlastprofile Gas") computed offline.

Why this exists: users often have no measured demand for a building, only a design peak load.
The BDEW standard load profiles (via ``demandlib``) give a realistic hourly shape driven by
outdoor temperature, weekday and hour of day, which we scale so that its maximum equals the
peak the user entered.

The BDEW method needs an hourly outdoor temperature series. The toolkit runs without internet
access and therefore without weather data, so a *synthetic typical-year temperature* for a
Dutch/German climate is used (see :func:`synthetic_temperature`). The profile is therefore a
plausible, reproducible shape, not a reconstruction of any real year's weather.

This module has no Django dependency so it can be used from workers, scripts and tests alike.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd
from demandlib.bdew.heat_building import HeatBuilding

#: BDEW standard heat load profile types supported by demandlib, with human labels.
BUILDING_TYPES: dict[str, str] = {
    "EFH": "Single-family house (EFH)",
    "MFH": "Multi-family house (MFH)",
    "GHD": "Commerce and services, aggregate (GHD)",
    "GKO": "Offices, public administration, banks (GKO)",
    "GHA": "Retail and wholesale (GHA)",
    "GMK": "Metal and automotive (GMK)",
    "GBD": "Other business services (GBD)",
    "GBH": "Accommodation / hotels (GBH)",
    "GWA": "Laundries and dry cleaning (GWA)",
    "GGA": "Restaurants (GGA)",
    "GBA": "Bakeries (GBA)",
    "GGB": "Horticulture (GGB)",
    "GPD": "Paper and printing (GPD)",
    "GMF": "Household-like commercial (GMF)",
}

#: Types with building classes 1..11 (age/insulation class); all others only have class 0.
RESIDENTIAL_TYPES: frozenset[str] = frozenset({"EFH", "MFH"})

_HOURS_PER_NORMAL_YEAR = 8760
_TEMP_MEAN_C = 8.5  # annual mean of daily means: (-1 + 18) / 2
_TEMP_AMPLITUDE_C = 9.5  # half the spread between mid-January and mid-July daily means
_TEMP_COLDEST_DAY = 15  # day of year (1-based) of the coldest daily mean, mid-January
_DAILY_SWING_C = 4.0
_DAILY_PEAK_HOUR = 15


def synthetic_temperature(index: pd.DatetimeIndex) -> np.ndarray:
    """Synthetic hourly outdoor temperature in °C for a typical Dutch/German year.

    Daily mean follows an annual cosine with minimum -1 °C on 15 January and maximum 18 °C
    half a year later (mid-July); on top of that a daily cosine swing of ±4 °C peaking at
    15:00 (hour of the index, i.e. UTC here). Deterministic on purpose: identical input gives
    identical profiles, which keeps results and tests reproducible.
    """
    day_of_year = index.dayofyear.to_numpy(dtype=float)
    hour = index.hour.to_numpy(dtype=float)
    annual = _TEMP_MEAN_C - _TEMP_AMPLITUDE_C * np.cos(
        2.0 * math.pi * (day_of_year - _TEMP_COLDEST_DAY) / 365.25
    )
    daily = _DAILY_SWING_C * np.cos(2.0 * math.pi * (hour - _DAILY_PEAK_HOUR) / 24.0)
    return annual + daily


def _easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm), so no holiday package is needed."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    leap = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * leap) // 451
    month, day = divmod(h + leap - 7 * m + 114, 31)
    return date(year, month, day + 1)


def dutch_holidays(year: int) -> list[date]:
    """Dutch national public holidays of ``year``.

    BDEW treats holidays like Sundays; the toolkit targets Dutch projects, so Dutch holidays are
    used (Liberation Day only in lustrum years, when it is a general day off).
    """
    easter = _easter_sunday(year)
    if year >= 2014:
        kings = date(year, 4, 27)
    else:
        kings = date(year, 4, 30)
    if kings.weekday() == 6:  # moved to Saturday when it falls on a Sunday
        kings -= timedelta(days=1)
    days = [
        date(year, 1, 1),
        easter,
        easter + timedelta(days=1),
        kings,
        easter + timedelta(days=39),  # Ascension Day
        easter + timedelta(days=49),  # Whit Sunday
        easter + timedelta(days=50),  # Whit Monday
        date(year, 12, 25),
        date(year, 12, 26),
    ]
    if year % 5 == 0:
        days.append(date(year, 5, 5))
    return sorted(days)


@lru_cache(maxsize=64)
def _year_profile(
    year: int, building_type: str, building_class: int, wind_class: int
) -> np.ndarray:
    """Relative hourly BDEW profile for one calendar year (UTC hours), cached.

    Scaled with ``hours / 8760`` so that leap and normal years have the same hourly level and
    concatenated years join without a step. Cached because the same year and type are requested
    repeatedly (e.g. one profile per building in a model); the array is read-only to make
    sharing safe.
    """
    index = pd.date_range(f"{year}-01-01 00:00", f"{year}-12-31 23:00", freq="h")
    temperature = pd.Series(synthetic_temperature(index), index=index)
    building = HeatBuilding(
        index,
        holidays=dutch_holidays(year),
        temperature=temperature,
        shlp_type=building_type,
        building_class=building_class,
        wind_class=wind_class,
        annual_heat_demand=len(index) / _HOURS_PER_NORMAL_YEAR,
        name=building_type,
    )
    values = np.asarray(building.get_bdew_profile(), dtype=float)
    values.setflags(write=False)
    return values


def _as_utc_hour(value: datetime, name: str) -> datetime:
    """Normalise to an aware UTC datetime; naive values are taken as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    if value.minute or value.second or value.microsecond:
        raise ValueError(f"{name} must be exactly on the hour, got {value.isoformat()}")
    return value


def bdew_heat_profile(
    start: datetime,
    end: datetime,
    peak_w: float,
    building_type: str = "EFH",
    building_class: int = 1,
    wind_class: int = 0,
) -> list[tuple[datetime, float]]:
    """Hourly BDEW heat-demand profile in W from ``start`` to ``end`` inclusive.

    Timestamps are UTC-aware and on the hour; the first equals ``start`` and the last ``end``.
    Naive datetimes are interpreted as UTC. Values are scaled so that the maximum within the
    requested period equals ``peak_w`` exactly (the user knows the design peak, not the annual
    demand).

    The outdoor temperature is synthetic, not measured (no weather data offline): a typical
    Dutch/German climate with daily means from about -1 °C in mid-January to 18 °C in mid-July
    and a ±4 °C daily swing peaking at 15:00 UTC. Holidays are the Dutch public holidays.

    The BDEW method works per calendar year, so every calendar year touched by the period is
    computed and the result is sliced; periods of part of a year or several years both work.

    ``building_class`` (1..11) only applies to the residential types EFH and MFH; for the
    non-residential types BDEW has a single class and the argument is ignored.

    Raises ``ValueError`` for timestamps not on the hour, ``end`` before ``start``, a
    non-positive or non-finite ``peak_w``, or an unknown type/class/wind class.
    """
    start_utc = _as_utc_hour(start, "start")
    end_utc = _as_utc_hour(end, "end")
    if end_utc < start_utc:
        raise ValueError("end must not be before start")
    if not math.isfinite(peak_w) or peak_w <= 0:
        raise ValueError(f"peak_w must be a positive number, got {peak_w!r}")
    shlp_type = building_type.upper()
    if shlp_type not in BUILDING_TYPES:
        raise ValueError(
            f"unknown building type {building_type!r}; expected one of {sorted(BUILDING_TYPES)}"
        )
    if shlp_type in RESIDENTIAL_TYPES:
        if not 1 <= building_class <= 11:
            raise ValueError(f"building_class must be 1..11 for {shlp_type}")
    else:
        building_class = 0
    if wind_class not in (0, 1):
        raise ValueError("wind_class must be 0 (not windy) or 1 (windy)")

    years = range(start_utc.year, end_utc.year + 1)
    full = np.concatenate(
        [_year_profile(year, shlp_type, building_class, wind_class) for year in years]
    )
    year_start = datetime(start_utc.year, 1, 1, tzinfo=UTC)
    first = int((start_utc - year_start) // timedelta(hours=1))
    count = int((end_utc - start_utc) // timedelta(hours=1)) + 1
    values = full[first : first + count] * 1.0  # copy; cached arrays are read-only

    peak_index = int(np.argmax(values))
    top = float(values[peak_index])
    if top <= 0:
        raise ValueError("BDEW profile is zero over the requested period")
    values *= peak_w / top
    # Floating-point rounding could leave the maximum a few ulp off peak_w; make it exact.
    np.minimum(values, peak_w, out=values)
    values[peak_index] = peak_w

    step = timedelta(hours=1)
    return [(start_utc + i * step, float(v)) for i, v in enumerate(values)]
