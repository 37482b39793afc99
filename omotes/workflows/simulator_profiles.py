"""The simulator's input profiles, read from our InfluxDB instead of by the simulator itself.

The simulator reads every ``esdl:InfluxDBProfile`` on its own, connecting to the profile's host
with an empty user name and password. Our InfluxDB may need credentials, and the frontend
rewrites profile hosts to point at it anyway, so :func:`read_profile` (reading via
:class:`omotes.influx.InfluxClient` with the worker's settings) is patched in for a run
(:func:`profiles_from`; :func:`profiles_read_by` for any other source, such as the worker's
calibration run).
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import esdl
import pandas as pd

from omotes.influx import InfluxClient, InfluxError
from omotes.protocol import WorkflowError
from omotes.results import profile_label, profile_tags


def as_utc(value: datetime) -> datetime:
    """Naive datetimes are taken as UTC (ESDL files written by hand often lack an offset)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# Modules that hold ``get_data_from_profile`` as a global name. ``esdl_asset_object`` imports it
# by name (``from ... import get_data_from_profile``), so patching only the defining module
# would not reach it. Checked for omotes-simulator-core 0.0.30: re-check on every upgrade of the
# pinned version (grep the package for ``get_data_from_profile``).
READER_MODULES = (
    "omotes_simulator_core.entities.utility.influxdb_reader",
    "omotes_simulator_core.entities.assets.esdl_asset_object",
)


def read_profile(client: InfluxClient, profile: esdl.InfluxDBProfile) -> pd.DataFrame:
    """Read one input profile from our InfluxDB, in the shape the simulator's reader returns.

    Database, measurement, field and filters come from the profile; host, port and credentials
    from ``client`` (the frontend points profile hosts at our server before a job starts). The
    values between ``startDate`` and ``endDate`` (both included) are converted from the profile's
    unit to W (power) or J (energy) and multiplied by ``multiplier``, as the original does.
    Returns ``{"date": UTC datetimes, "values": floats}``.
    """
    from omotes_simulator_core.entities.utility.influxdb_reader import convert_to_unit, get_unit

    label = profile_label(profile)
    if not profile.database or not profile.measurement or not profile.field:
        raise WorkflowError(f"The input {label} does not name a database, measurement and field")
    if not profile.startDate or not profile.endDate:
        raise WorkflowError(f"The input {label} has no startDate or endDate")
    start, end = as_utc(profile.startDate), as_utc(profile.endDate)
    start_s, end_s = int(start.timestamp()), int(end.timestamp())
    try:
        points = [
            (t, v)
            for t, v in client.select_series(
                str(profile.database),
                str(profile.measurement),
                str(profile.field),
                profile_tags(profile),
            )
            if start_s <= t <= end_s
        ]
    except InfluxError as exc:
        raise WorkflowError(
            f"The input {label} could not be read from database '{profile.database}': {exc}"
        ) from exc
    if not points:
        raise WorkflowError(
            f"The input {label} has no data in database '{profile.database}' between "
            f"{start.isoformat()} and {end.isoformat()}; upload the profile first"
        )
    if points[0][0] != start_s or points[-1][0] != end_s:
        first = datetime.fromtimestamp(points[0][0], UTC).isoformat()
        last = datetime.fromtimestamp(points[-1][0], UTC).isoformat()
        raise WorkflowError(
            f"The input {label} should run from {start.isoformat()} to {end.isoformat()}, "
            f"but database '{profile.database}' holds {first} .. {last}"
        )
    unit = get_unit(profile)
    quantity = profile.profileQuantityAndUnit
    multiplier = float(profile.multiplier if profile.multiplier is not None else 1.0)
    if quantity is None:
        values = [v * multiplier for _, v in points]
    else:
        values = [convert_to_unit(v, quantity, unit) * multiplier for _, v in points]
    dates = [datetime.fromtimestamp(t, UTC) for t, _ in points]
    return pd.DataFrame({"date": dates, "values": values})


@contextlib.contextmanager
def profiles_from(client: InfluxClient) -> Iterator[None]:
    """Make the simulator read input profiles through ``client`` while the block runs."""

    def reader(profile: esdl.InfluxDBProfile) -> pd.DataFrame:
        return read_profile(client, profile)

    with profiles_read_by(reader):
        yield


@contextlib.contextmanager
def profiles_read_by(reader: Callable[[esdl.InfluxDBProfile], pd.DataFrame]) -> Iterator[None]:
    """Make the simulator read input profiles with ``reader`` while the block runs (our
    InfluxDB for a job, made-up profiles for a worker's calibration run).

    Monkey-patching module globals is acceptable here because a job runs in a child process that
    serves exactly one job; the originals are restored afterwards anyway. The simulator offers no
    hook for credentials or another profile source (its credential map is empty in code).
    """
    modules = [importlib.import_module(name) for name in READER_MODULES]
    originals = []
    for module in modules:
        if not hasattr(module, "get_data_from_profile"):
            raise RuntimeError(
                f"{module.__name__} has no get_data_from_profile: the simulator changed, "
                f"update omotes.workflows.simulator_profiles.READER_MODULES"
            )
        originals.append(module.get_data_from_profile)
    try:
        for module in modules:
            module.get_data_from_profile = reader  # type: ignore[attr-defined]
        yield
    finally:
        for module, original in zip(modules, originals, strict=True):
            module.get_data_from_profile = original  # type: ignore[attr-defined]
