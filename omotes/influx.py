"""All InfluxDB access, over the v1 HTTP API (``/write`` line protocol, ``/query`` InfluxQL).

Debian ships InfluxDB 1.6.7, which lacks the ``/api/v2`` endpoints that ``influxdb-client`` needs;
the v1 API is served by InfluxDB 1.x, by 2.x (compatibility API) and by 3.x, so keeping every call
here lets the server version change without touching the rest of the code.
"""

from __future__ import annotations

import gzip
import math
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import msgpack
import requests

from omotes.metrics import INFLUX_ERRORS, INFLUX_WRITE_VALUES


class InfluxError(RuntimeError):
    """InfluxDB answered with an error, or could not be reached."""


class InfluxBusy(InfluxError):
    """InfluxDB refused a write for now (its cache is full, or it timed out); try again later.

    InfluxDB 1.x answers 500 "cache-max-memory-size exceeded" while its in-memory cache waits
    for snapshots to disk, and 500 "timeout" when a write waits too long for a shard; both
    leave nothing half-written that a retry could duplicate (a point is one value per series and
    time), so writers back off and send the same body again.
    """


#: Error texts of InfluxDB 1.x that mean "busy, retry" rather than "bad request".
_BUSY_ERRORS = ("cache-max-memory-size exceeded", "timeout", "engine: cache maximum memory size")


class InfluxAuthError(InfluxError):
    """InfluxDB refused the credentials (401) or the account lacks a privilege (403)."""


#: The product's InfluxDB account on a development machine: ``scripts/setup.sh`` creates it (an
#: admin, because workers create job databases) and turns authentication on. Production sets
#: ``OMOTES_INFLUX_USERNAME`` and ``OMOTES_INFLUX_PASSWORD`` to an account of its own.
DEV_USERNAME = "designtoolkit"
DEV_PASSWORD = "designtoolkit-dev-only-password"


#: Where InfluxDB is when the environment does not say (``OMOTES_INFLUX_URL``).
DEFAULT_URL = "http://127.0.0.1:8086"


def _env_url() -> str:
    return os.environ.get("OMOTES_INFLUX_URL", DEFAULT_URL)


def _env_username() -> str:
    return os.environ.get("OMOTES_INFLUX_USERNAME", DEV_USERNAME)


def _env_password() -> str:
    return os.environ.get("OMOTES_INFLUX_PASSWORD", DEV_PASSWORD)


@dataclass(frozen=True)
class InfluxSettings:
    """Where InfluxDB is and how to log in; address and credentials default to the
    environment's (``OMOTES_INFLUX_URL``, ``..._USERNAME``, ``..._PASSWORD``).

    An empty username sends no credentials (an InfluxDB with authentication off); a server with
    authentication off ignores credentials, so sending them is always safe.
    """

    url: str = field(default_factory=_env_url)
    username: str = field(default_factory=_env_username)
    password: str = field(default_factory=_env_password, repr=False)
    timeout_s: float = 30.0

    @classmethod
    def from_env(cls, prefix: str = "OMOTES_INFLUX_") -> InfluxSettings:
        return cls(
            url=os.environ.get(f"{prefix}URL", DEFAULT_URL),
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


def escape_key(text: str) -> str:
    """Escape a measurement name, tag key/value or field key for line protocol. Line breaks,
    which line protocol cannot hold even escaped, become spaces."""
    return escape_measurement(text).replace("=", "\\=")


def escape_measurement(text: str) -> str:
    text = text.replace("\r", " ").replace("\n", " ")
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(" ", "\\ ")


def encode_line(
    measurement: str, tags: dict[str, str], fields: dict[str, float], timestamp_s: int
) -> str | None:
    """One line of line protocol with second precision; None when no field has a finite value.

    NaN and infinity cannot be stored in InfluxDB, so such fields are left out of the line.
    """
    field_text = ",".join(
        f"{escape_key(key)}={float(value)!r}"
        for key, value in fields.items()
        if value is not None and math.isfinite(value)
    )
    if not field_text:
        return None
    tag_text = "".join(
        f",{escape_key(key)}={escape_key(value)}" for key, value in sorted(tags.items()) if value
    )
    return f"{escape_measurement(measurement)}{tag_text} {field_text} {timestamp_s}"


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
        with _counted("query"):
            try:
                response = self._session.request(
                    method,
                    f"{self.settings.url}/query",
                    params=params,
                    headers=_ACCEPT,
                    timeout=self.settings.timeout_s,
                )
            except requests.RequestException as exc:
                raise InfluxError(f"InfluxDB unreachable: {exc}") from exc
            if response.status_code in (401, 403):
                raise InfluxAuthError(_error_text(response))
            if response.status_code >= 400:
                raise InfluxError(_error_text(response))
            results = _decoded(response).get("results", [])
            for result in results:
                if "error" in result:
                    raise InfluxError(result["error"])
        return results

    def create_database(self, database: str, shard_duration: str | None = None) -> None:
        """Create ``database`` (a no-op if it exists).

        ``shard_duration`` (InfluxQL duration, e.g. ``"10000w"``) sets the default retention
        policy's shard group duration for shards created from now on; InfluxDB's default for an
        infinite policy is one week, which splits a simulated year into 53 shards (53 indexes,
        TSM files and blocks of at most 168 points per series).
        """
        name = quote_identifier(database)
        # Not ``CREATE DATABASE ... WITH SHARD DURATION``: that fails ("conflicts with an
        # existing policy") when the frontend created the database first to grant reads on it.
        self.query(f"CREATE DATABASE {name}")
        if not shard_duration:
            return
        for policy in rows(self.query(f"SHOW RETENTION POLICIES ON {name}")):
            if policy.get("default"):
                self.query(
                    f"ALTER RETENTION POLICY {quote_identifier(policy['name'])} ON {name} "
                    f"SHARD DURATION {shard_duration}"
                )

    def drop_database(self, database: str) -> None:
        self.query(f"DROP DATABASE {quote_identifier(database)}")

    def list_databases(self) -> list[str]:
        results = self.query("SHOW DATABASES")
        series = results[0].get("series", []) if results else []
        return [row[0] for s in series for row in s.get("values", [])]

    def write_lines(self, database: str, lines: Iterable[str], batch_size: int = 20_000) -> int:
        """Write line protocol (second precision) in batches; return the number of lines written
        (counted as values written: the callers write one field per line)."""
        written = 0
        batch: list[str] = []
        for line in lines:
            batch.append(line)
            if len(batch) >= batch_size:
                self._write_batch(database, batch)
                written += len(batch)
                INFLUX_WRITE_VALUES.inc(len(batch))
                batch = []
        if batch:
            self._write_batch(database, batch)
            written += len(batch)
            INFLUX_WRITE_VALUES.inc(len(batch))
        return written

    def _write_batch(self, database: str, batch: list[str]) -> None:
        self.write_body(database, ("\n".join(batch)).encode("utf-8"))

    def write_body(
        self,
        database: str,
        body: bytes,
        *,
        compress: bool = False,
        retries: int = 8,
        backoff_s: float = 0.5,
    ) -> None:
        """POST one pre-encoded line-protocol body (second precision) to ``/write``.

        Retries while InfluxDB says it is busy (:class:`InfluxBusy`), waiting ``backoff_s``,
        doubling up to 8 s. ``compress`` gzips the body: on loopback it costs more CPU than it
        saves (measured here: 0.9 vs 1.4 M values/s), over a real network it can pay off.
        """
        headers = {}
        if compress:
            body = gzip.compress(body, compresslevel=1)
            headers["Content-Encoding"] = "gzip"
        delay = backoff_s
        with _counted("write"):
            for attempt in range(retries + 1):
                try:
                    self._post_write(database, body, headers)
                    return
                except InfluxBusy:
                    if attempt == retries:
                        raise
                    time.sleep(delay)
                    delay = min(delay * 2, 8.0)

    def _post_write(self, database: str, body: bytes, headers: dict[str, str]) -> None:
        try:
            response = self._session.post(
                f"{self.settings.url}/write",
                params={"db": database, "precision": "s"},
                data=body,
                headers=headers,
                timeout=self.settings.timeout_s,
            )
        except requests.Timeout as exc:
            raise InfluxBusy(f"InfluxDB did not answer in time: {exc}") from exc
        except requests.RequestException as exc:
            raise InfluxError(f"InfluxDB unreachable: {exc}") from exc
        if response.status_code in (401, 403):
            raise InfluxAuthError(_error_text(response))
        if response.status_code >= 300:
            text = _error_text(response)
            if response.status_code >= 500 and any(busy in text for busy in _BUSY_ERRORS):
                raise InfluxBusy(text)
            raise InfluxError(text)

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


@contextmanager
def _counted(operation: str) -> Iterator[None]:
    """Count an InfluxDB request that fails in ``dtk_influx_errors_total``."""
    try:
        yield
    except InfluxError:
        INFLUX_ERRORS.labels(operation=operation).inc()
        raise


#: Answers to queries in MessagePack where the server can (InfluxDB 1.4+; it matches this header
#: exactly, so no list of types), JSON from a server that cannot: the
#: same structure, but a year of hourly points (8,760) came back in 44 ms instead of 95 ms plus
#: 14 ms of JSON decoding here (``bench/compare_query.py``: ``breakdown``).
_ACCEPT = {"Accept": "application/x-msgpack"}


def _decoded(response: requests.Response) -> dict[str, Any]:
    """The answer's document, MessagePack or JSON as its Content-Type says."""
    if response.headers.get("Content-Type", "").startswith("application/x-msgpack"):
        try:
            document = msgpack.unpackb(response.content, raw=False, strict_map_key=False)
        except (ValueError, msgpack.UnpackException) as exc:
            raise InfluxError(f"InfluxDB answered unreadable MessagePack: {exc}") from exc
    else:
        try:
            document = response.json()
        except ValueError as exc:
            raise InfluxError(f"InfluxDB answered unreadable JSON: {response.text[:200]}") from exc
    if not isinstance(document, dict):
        raise InfluxError("InfluxDB answered something other than a document")
    return document


def _error_text(response: requests.Response) -> str:
    try:
        return str(_decoded(response).get("error", response.text))
    except InfluxError:
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
