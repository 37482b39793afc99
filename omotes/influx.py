"""All InfluxDB access, over the v1 HTTP API (``/write`` line protocol, ``/query`` InfluxQL).

Debian ships InfluxDB 1.6.7, which lacks the ``/api/v2`` endpoints that ``influxdb-client`` needs;
the v1 API is served by InfluxDB 1.x, by 2.x (compatibility API) and by 3.x, so keeping every call
here lets the server version change without touching the rest of the code.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import requests


class InfluxError(RuntimeError):
    """InfluxDB answered with an error, or could not be reached."""


class InfluxAuthError(InfluxError):
    """InfluxDB refused the credentials (401) or the account lacks a privilege (403)."""


#: The product's InfluxDB account on a development machine: ``scripts/setup.sh`` creates it (an
#: admin, because workers create job databases) and turns authentication on. Production sets
#: ``OMOTES_INFLUX_USERNAME`` and ``OMOTES_INFLUX_PASSWORD`` to an account of its own.
DEV_USERNAME = "designtoolkit"
DEV_PASSWORD = "designtoolkit-dev-only-password"


def _env_username() -> str:
    return os.environ.get("OMOTES_INFLUX_USERNAME", DEV_USERNAME)


def _env_password() -> str:
    return os.environ.get("OMOTES_INFLUX_PASSWORD", DEV_PASSWORD)


@dataclass(frozen=True)
class InfluxSettings:
    """Where InfluxDB is and how to log in; credentials default to the environment's.

    An empty username sends no credentials (an InfluxDB with authentication off); a server with
    authentication off ignores credentials, so sending them is always safe.
    """

    url: str = "http://127.0.0.1:8086"
    username: str = field(default_factory=_env_username)
    password: str = field(default_factory=_env_password, repr=False)
    timeout_s: float = 30.0

    @classmethod
    def from_env(cls, prefix: str = "OMOTES_INFLUX_") -> InfluxSettings:
        return cls(
            url=os.environ.get(f"{prefix}URL", cls.url),
            username=os.environ.get(f"{prefix}USERNAME", DEV_USERNAME),
            password=os.environ.get(f"{prefix}PASSWORD", DEV_PASSWORD),
            timeout_s=float(os.environ.get(f"{prefix}TIMEOUT_S", cls.timeout_s)),
        )

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[-1].rsplit(":", 1)[0]

    @property
    def port(self) -> int:
        tail = self.url.split("://", 1)[-1]
        return int(tail.rsplit(":", 1)[1]) if ":" in tail else 8086


def quote_identifier(name: str) -> str:
    """Double-quote an InfluxQL identifier (database, measurement, field, tag key)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def quote_string(value: str) -> str:
    """Single-quote an InfluxQL string literal (tag values in WHERE clauses)."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _escape_key(text: str) -> str:
    """Escape a measurement name, tag key/value or field key for line protocol."""
    return text.replace("\\", "\\\\").replace(",", "\\,").replace("=", "\\=").replace(" ", "\\ ")


def _escape_measurement(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(" ", "\\ ")


def encode_line(
    measurement: str, tags: dict[str, str], fields: dict[str, float], timestamp_s: int
) -> str | None:
    """One line of line protocol with second precision; None when no field has a finite value.

    NaN and infinity cannot be stored in InfluxDB, so such fields are left out of the line.
    """
    field_text = ",".join(
        f"{_escape_key(key)}={float(value)!r}"
        for key, value in fields.items()
        if value is not None and math.isfinite(value)
    )
    if not field_text:
        return None
    tag_text = "".join(
        f",{_escape_key(key)}={_escape_key(value)}" for key, value in sorted(tags.items()) if value
    )
    return f"{_escape_measurement(measurement)}{tag_text} {field_text} {timestamp_s}"


class InfluxClient:
    """A thin client for the v1 HTTP API; one per process, it keeps a connection pool."""

    def __init__(self, settings: InfluxSettings | None = None) -> None:
        self.settings = settings or InfluxSettings.from_env()
        self._session = requests.Session()
        if self.settings.username:
            self._session.auth = (self.settings.username, self.settings.password)

    def ping(self) -> None:
        try:
            response = self._session.get(f"{self.settings.url}/ping", timeout=5)
        except requests.RequestException as exc:
            raise InfluxError(f"InfluxDB unreachable: {exc}") from exc
        if response.status_code != 204:
            raise InfluxError(f"InfluxDB ping answered {response.status_code}")

    def query(self, influxql: str, database: str | None = None, epoch: str = "s") -> list[dict]:
        """Run InfluxQL; return the ``results`` list, raising on any statement error."""
        params = {"q": influxql, "epoch": epoch}
        if database:
            params["db"] = database
        method = "get" if influxql.lstrip().upper().startswith(("SELECT", "SHOW")) else "post"
        try:
            response = self._session.request(
                method, f"{self.settings.url}/query", params=params, timeout=self.settings.timeout_s
            )
        except requests.RequestException as exc:
            raise InfluxError(f"InfluxDB unreachable: {exc}") from exc
        if response.status_code in (401, 403):
            raise InfluxAuthError(_error_text(response))
        if response.status_code >= 400:
            raise InfluxError(_error_text(response))
        results = response.json().get("results", [])
        for result in results:
            if "error" in result:
                raise InfluxError(result["error"])
        return results

    def create_database(self, database: str) -> None:
        self.query(f"CREATE DATABASE {quote_identifier(database)}")

    def drop_database(self, database: str) -> None:
        self.query(f"DROP DATABASE {quote_identifier(database)}")

    def list_databases(self) -> list[str]:
        results = self.query("SHOW DATABASES")
        series = results[0].get("series", []) if results else []
        return [row[0] for s in series for row in s.get("values", [])]

    def write_lines(self, database: str, lines: Iterable[str], batch_size: int = 20_000) -> int:
        """Write line protocol (second precision) in batches; return the number of lines written."""
        written = 0
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= batch_size:
                self._write_batch(database, batch)
                written += len(batch)
                batch = []
        if batch:
            self._write_batch(database, batch)
            written += len(batch)
        return written

    def _write_batch(self, database: str, batch: list[str]) -> None:
        body = ("\n".join(batch)).encode("utf-8")
        try:
            response = self._session.post(
                f"{self.settings.url}/write",
                params={"db": database, "precision": "s"},
                data=body,
                timeout=self.settings.timeout_s,
            )
        except requests.RequestException as exc:
            raise InfluxError(f"InfluxDB unreachable: {exc}") from exc
        if response.status_code in (401, 403):
            raise InfluxAuthError(_error_text(response))
        if response.status_code >= 300:
            raise InfluxError(_error_text(response))

    def select_series(
        self, database: str, measurement: str, field: str, tags: dict[str, str]
    ) -> Iterator[tuple[int, float]]:
        """Yield (epoch seconds, value) of one field, filtered on tags, in time order."""
        where = " AND ".join(
            f"{quote_identifier(key)} = {quote_string(value)}" for key, value in tags.items()
        )
        influxql = f"SELECT {quote_identifier(field)} FROM {quote_identifier(measurement)}"
        if where:
            influxql += f" WHERE {where}"
        for result in self.query(influxql, database=database):
            for series in result.get("series", []):
                for timestamp, value in series.get("values", []):
                    if value is not None:
                        yield int(timestamp), float(value)


def _error_text(response: requests.Response) -> str:
    try:
        return str(response.json().get("error", response.text))
    except ValueError:
        return response.text[:500]


def rows(results: list[dict]) -> list[dict[str, Any]]:
    """Flatten a query answer into dicts of column -> value (tags included)."""
    out: list[dict[str, Any]] = []
    for result in results:
        for series in result.get("series", []):
            columns = series.get("columns", [])
            tags = series.get("tags", {})
            for values in series.get("values", []):
                out.append({**tags, **dict(zip(columns, values, strict=False))})
    return out
