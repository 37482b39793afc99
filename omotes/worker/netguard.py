"""A job's process connects to nothing outside the product: a guard that fails closed.

A model from the field can make a workflow reach out: the simulator fetches a pipe that names
only its DN size from the public Energy Data Repository, or an input profile from the host its
ESDL names. The frontend resolves all of that before a job goes out; this guard is for whatever
slips through. Installed in the job's child process (:mod:`omotes.worker.child`), it lets
sockets connect only to loopback addresses, Unix sockets and the hosts the worker is configured
to use (its InfluxDB, and ``OMOTES_ALLOWED_HOSTS``, a comma-separated list), and refuses to
resolve any other name, so not even a DNS query leaves for it. A refused attempt raises
:class:`OutboundBlocked` and is remembered in :data:`attempts`, so the job's error can say so.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Iterable
from typing import Any

logger = logging.getLogger(__name__)

#: Hosts (and ports) a job's process tried to reach and was refused, in order.
attempts: list[str] = []

_allowed_names: set[str] = set()
_allowed_addresses: set[str] = set()
_installed = False


class OutboundBlocked(ConnectionRefusedError):
    """A connection to a host outside the product was refused by the guard."""


def _is_local(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    return ip.is_loopback or ip.is_unspecified


def _name_allowed(host: Any) -> bool:
    if host is None:
        return True  # getaddrinfo(None, port): the local host
    name = host.decode() if isinstance(host, bytes) else str(host)
    name = name.strip("[]").lower()
    return (
        name in ("localhost", "")
        or name in _allowed_names
        or name in _allowed_addresses
        or _is_local(name)
    )


def _refuse(what: str) -> OutboundBlocked:
    attempts.append(what)
    logger.warning("outbound connection blocked: the job tried to reach %s", what)
    return OutboundBlocked(f"connection to {what} blocked: a job connects to nothing outside")


def allow_only(hosts: Iterable[str]) -> None:
    """Install the guard in this process; ``hosts`` (names or addresses) stay reachable."""
    global _installed
    extra = [h.strip() for h in os.environ.get("OMOTES_ALLOWED_HOSTS", "").split(",")]
    for host in [*hosts, *extra]:
        host = host.strip().strip("[]").lower()
        if not host:
            continue
        _allowed_names.add(host)
        try:
            for *_, sockaddr in _original_getaddrinfo(host, None):
                _allowed_addresses.add(str(sockaddr[0]))
        except OSError:
            pass
    if _installed:
        return
    _installed = True
    socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]


_original_getaddrinfo = socket.getaddrinfo
_original_connect = socket.socket.connect
_original_connect_ex = socket.socket.connect_ex


def _guarded_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    if not _name_allowed(host):
        raise _refuse(f"{host}:{port}")
    return _original_getaddrinfo(host, port, *args, **kwargs)


def _check_address(sock: socket.socket, address: Any) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6):
        return  # Unix sockets, socket pairs: local by nature
    host, port = address[0], address[1]
    if not (_is_local(str(host)) or str(host) in _allowed_addresses or _name_allowed(host)):
        raise _refuse(f"{host}:{port}")


def _guarded_connect(self: socket.socket, address: Any) -> None:
    _check_address(self, address)
    return _original_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> int:
    _check_address(self, address)
    return _original_connect_ex(self, address)
