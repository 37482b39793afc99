"""Reading from servers outside the product, only from those the operator lists, and bounded.

Why so guarded: the servers an ESDL names are chosen by whoever wrote the ESDL, which is hostile
until proven otherwise (:mod:`apps.models.esdl_intake`). Fetching whatever it names would let an
upload make our binder read from our own network (InfluxDB, RabbitMQ's management, a cloud's
metadata address) or tie it up with an endless answer. So:

- only servers on the operator's allowlist (``DT_OUTSIDE_SERVERS``, :class:`OutsideServer`) are
  asked; scheme (http/https) and credentials come from that list and the environment, never from
  the ESDL;
- the server's name is resolved once, every address it has is checked, and a private, loopback,
  link-local or otherwise non-global address is refused unless the operator allowed it for that
  server; the connection then goes to the checked address (so a second DNS answer cannot point it
  elsewhere), with TLS still verified against the server's name;
- redirects are not followed but refused (a redirect could lead anywhere); an answer larger than
  ``max_bytes`` or not complete within the deadline is cut off and refused;
- connection failures, timeouts and 5xx answers are tried again with doubling waits, all within
  the deadline.

Only background processes call this (the profile binder), never a web request: a web request
would wait on the outside. :class:`OutsideRefused` means asking again gives the same answer;
:class:`OutsideUnreachable` means the server could not be reached now.
"""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError


class OutsideRefused(Exception):
    """We will not ask this server, or will not take its answer; ``str`` says why."""


class OutsideUnreachable(Exception):
    """The server did not answer (in time) or answered with a server error; ``str`` says how."""


@dataclass(frozen=True)
class OutsideServer:
    """One server of the operator's allowlist: where it is, and how to log in to it.

    ``username_env``/``password_env`` name environment variables holding the credentials (the
    allowlist itself holds no secret). ``allow_private`` lets the server be on a private or
    loopback address (a profile server inside the operator's own network). ``ca_file`` names the
    certificate authorities to check its TLS certificate against when they are not public ones.
    """

    name: str
    scheme: str
    host: str
    port: int
    username_env: str = ""
    password_env: str = ""
    allow_private: bool = False
    ca_file: str = ""

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def authorization(self) -> str | None:
        """The Basic authorization header value, or None when the server takes none."""
        if not self.username_env:
            return None
        username = os.environ.get(self.username_env)
        password = os.environ.get(self.password_env, "") if self.password_env else ""
        if username is None:
            raise OutsideRefused(
                f"the credentials of {self.name} are not set (environment variable "
                f"{self.username_env})"
            )
        return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def allowlist() -> list[OutsideServer]:
    """The servers of ``DT_OUTSIDE_SERVERS``: a JSON list of objects with ``name``, ``url``
    (``https://host:port``) and optionally ``username_env``, ``password_env``,
    ``allow_private``, ``ca_file``. Empty (the default): nothing outside is ever asked."""
    try:
        entries = json.loads(settings.OUTSIDE_SERVERS or "[]")
        servers = []
        for entry in entries:
            parts = urlsplit(entry["url"])
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"url {entry['url']!r} must be http(s)://host[:port]")
            servers.append(
                OutsideServer(
                    name=str(entry.get("name") or parts.hostname),
                    scheme=parts.scheme,
                    host=parts.hostname.lower().rstrip("."),
                    port=parts.port or (443 if parts.scheme == "https" else 80),
                    username_env=str(entry.get("username_env", "")),
                    password_env=str(entry.get("password_env", "")),
                    allow_private=bool(entry.get("allow_private", False)),
                    ca_file=str(entry.get("ca_file", "")),
                )
            )
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise OutsideRefused(
            f"the list of outside servers (DT_OUTSIDE_SERVERS) is invalid: {exc}"
        ) from exc
    return servers


def server_at(host: str, port: int) -> OutsideServer:
    """The allowlisted server at ``host``:``port`` as an ESDL writes them (``name``,
    ``name:port`` or ``https://name``; port 0 meaning 443 for https, else InfluxDB's 8086);
    OutsideRefused if none."""
    text = host.strip()
    try:
        parts = urlsplit(text if "://" in text else f"//{text}")
        name, port = (parts.hostname or "").rstrip("."), port or parts.port or 0
    except ValueError as exc:  # a port that is no number
        raise OutsideRefused(f"{host!r} is not a server name") from exc
    if "@" in text or parts.path not in ("", "/") or parts.query or not name:
        raise OutsideRefused(f"{host!r} is not a server name")
    port = port or (443 if parts.scheme == "https" else 8086)
    for server in allowlist():
        if (server.host, server.port) == (name, port):
            return server
    raise OutsideRefused(
        f"{name}:{port} is not on the operator's list of outside servers (DT_OUTSIDE_SERVERS)"
    )


def server_of_url(url: str) -> tuple[OutsideServer, str]:
    """The allowlisted server of a configured endpoint URL, and the URL's path."""
    parts = urlsplit(url)
    server = server_at(f"{parts.scheme}://{parts.hostname}", parts.port or 0)
    if server.scheme != parts.scheme:
        raise OutsideRefused(f"{url} is listed as {server.url}")
    return server, parts.path.rstrip("/")


def checked_addresses(server: OutsideServer) -> list[str]:
    """Every address ``server`` resolves to, each allowed (OutsideRefused naming the first that
    is private when the server may not be); OutsideUnreachable when the name does not resolve."""
    try:
        infos = socket.getaddrinfo(server.host, server.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutsideUnreachable(f"{server.host} does not resolve: {exc}") from exc
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not server.allow_private:
        for address in addresses:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
            mapped = getattr(ip, "ipv4_mapped", None)
            if not (mapped or ip).is_global:
                raise OutsideRefused(
                    f"{server.host} resolves to {address}, a private or local address, which "
                    "the operator did not allow for this server"
                )
    if not addresses:
        raise OutsideUnreachable(f"{server.host} has no address")
    return addresses


@dataclass(frozen=True)
class Limits:
    """How long and how much one fetch may take (``DT_OUTSIDE_...`` settings)."""

    timeout_s: float
    deadline_s: float
    retries: int
    backoff_s: float
    max_bytes: int

    @classmethod
    def from_settings(cls) -> Limits:
        return cls(
            timeout_s=settings.OUTSIDE_TIMEOUT_S,
            deadline_s=settings.OUTSIDE_DEADLINE_S,
            retries=settings.OUTSIDE_RETRIES,
            backoff_s=settings.OUTSIDE_BACKOFF_S,
            max_bytes=settings.OUTSIDE_MAX_BYTES,
        )


def get(
    server: OutsideServer,
    path: str,
    params: dict[str, str],
    limits: Limits,
    accept: str = "application/json",
) -> bytes:
    """GET ``path``?``params`` from ``server``: the whole body of a 2xx answer, within
    ``limits``; OutsideRefused or OutsideUnreachable with the reason otherwise."""
    target = f"{path}?{urlencode(params)}" if params else path
    headers = {"Accept": accept, "User-Agent": "DesignToolkit/outside"}
    if authorization := server.authorization():
        headers["Authorization"] = authorization
    deadline = time.monotonic() + limits.deadline_s
    delay = limits.backoff_s
    attempts = limits.retries + 1
    for attempt in range(1, attempts + 1):
        try:
            return _get_once(server, target, headers, limits, deadline)
        except OutsideUnreachable as exc:
            left = deadline - time.monotonic()
            if attempt == attempts or left <= delay:
                tries = f" ({attempt} tries)" if attempt > 1 else ""
                raise OutsideUnreachable(f"{exc}{tries}") from exc
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # the loop returns or raises


def _get_once(
    server: OutsideServer, target: str, headers: dict[str, str], limits: Limits, deadline: float
) -> bytes:
    last: OutsideUnreachable | None = None
    for address in checked_addresses(server):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        timeout = urllib3.Timeout(connect=min(limits.timeout_s, left), read=limits.timeout_s)
        if server.scheme == "https":
            pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
                address,
                server.port,
                timeout=timeout,
                retries=False,
                maxsize=1,
                server_hostname=server.host,
                assert_hostname=server.host,
                cert_reqs="CERT_REQUIRED",
                ca_certs=server.ca_file or None,
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, server.port, timeout=timeout, retries=False)
        try:
            return _read(pool, server, target, headers, limits, deadline)
        except (HTTPError, OSError) as exc:
            last = OutsideUnreachable(f"{server.url} could not be read: {_reason(exc)}")
        finally:
            pool.close()
    raise last or OutsideUnreachable(f"{server.url} did not answer within {limits.deadline_s:g} s")


def _read(
    pool: urllib3.HTTPConnectionPool,
    server: OutsideServer,
    target: str,
    headers: dict[str, str],
    limits: Limits,
    deadline: float,
) -> bytes:
    response = pool.urlopen(
        "GET",
        target,
        headers={**headers, "Host": f"{server.host}:{server.port}"},
        redirect=False,
        retries=False,
        preload_content=False,
        assert_same_host=False,
    )
    try:
        status = response.status
        if 300 <= status < 400:
            location = response.headers.get("Location", "?")[:200]
            raise OutsideRefused(
                f"{server.url} answered with a redirect to {location}; redirects are not followed"
            )
        if status >= 500:
            raise OutsideUnreachable(f"{server.url} answered {status}")
        if status in (401, 403):
            raise OutsideRefused(f"{server.url} refused our credentials ({status})")
        if status >= 400:
            raise OutsideRefused(f"{server.url} answered {status}: {_peek(response)}")
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limits.max_bytes:
            raise OutsideRefused(_too_big(server, limits))
        body = bytearray()
        while chunk := response.read1(64 * 1024):  # what has arrived: a trickle meets the deadline
            body += chunk
            if len(body) > limits.max_bytes:
                raise OutsideRefused(_too_big(server, limits))
            if time.monotonic() > deadline:
                raise OutsideRefused(
                    f"{server.url} did not finish its answer within {limits.deadline_s:g} s"
                )
        return bytes(body)
    finally:
        response.release_conn()


def _too_big(server: OutsideServer, limits: Limits) -> str:
    return f"{server.url} answered with more than {limits.max_bytes:,} bytes (DT_OUTSIDE_MAX_BYTES)"


def _peek(response) -> str:
    try:
        return response.read(300, decode_content=True).decode("utf-8", "replace").strip()
    except (HTTPError, OSError):
        return ""


def _reason(exc: BaseException) -> str:
    """A short reason from urllib3's nested exceptions (the innermost says what happened)."""
    inner = exc
    while getattr(inner, "reason", None) is not None and inner.reason is not inner:
        inner = inner.reason
    text = str(inner)
    if "timed out" in text.lower():
        return "timed out"
    return text.split(": ", 1)[-1][:200] or type(inner).__name__
