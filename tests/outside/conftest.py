"""Outside servers on loopback: a second InfluxDB database as an "outside" profile server (with a
reader account of its own), and a small HTTP server that answers slowly, endlessly, with
redirects or like the Energy Data Repository. Nothing here reaches beyond this machine."""

from __future__ import annotations

import json
import ssl
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from omotes import influx
from omotes.esdl_generator import network_text
from tests.conftest import NAMESPACE

OUTSIDE_DB = f"test_outside_{NAMESPACE}"
READER = f"test_outside_reader_{uuid.uuid4().hex[:8]}"
READER_PASSWORD = uuid.uuid4().hex
MEASUREMENT = "WarmingUp default profiles"
YEAR_START = datetime(2019, 1, 1, tzinfo=UTC)
HOURS = 8760


def value_at(hour: int, field: str) -> float:
    """The outside series: a different, recognisable shape per field (in MW, times the ESDL's
    multiplier: below 1 keeps each demand below its asset's power, which the simulator caps)."""
    return round(0.3 + (hour % 24) / 40 + int(field[6]) / 100, 6)


@pytest.fixture(scope="session")
def outside_influx() -> Iterator[str]:
    """The database the "outside" profile server holds: a year of hourly demand1..3_MW, and a
    January-only field ``january_MW``; a reader account with READ on it only. Both go at the
    end (only what this fixture made)."""
    client = influx.InfluxClient()
    client.create_database(OUTSIDE_DB, shard_duration="10000w")
    lines = []
    for hour in range(HOURS):
        ts = int((YEAR_START + timedelta(hours=hour)).timestamp())
        fields = {f"demand{n}_MW": value_at(hour, f"demand{n}_MW") for n in (1, 2, 3)}
        if hour < 31 * 24:
            fields["january_MW"] = 2.0
        lines.append(influx.encode_line(MEASUREMENT, {}, fields, ts))
    client.write_lines(OUTSIDE_DB, lines)
    client.query(f"CREATE USER {influx.quote_identifier(READER)} WITH PASSWORD '{READER_PASSWORD}'")
    client.query(
        f"GRANT READ ON {influx.quote_identifier(OUTSIDE_DB)} TO {influx.quote_identifier(READER)}"
    )
    yield OUTSIDE_DB
    client.query(f"DROP USER {influx.quote_identifier(READER)}")
    client.drop_database(OUTSIDE_DB)


@pytest.fixture
def reader_env(monkeypatch) -> dict[str, str]:
    """The reader's credentials in the environment, as an operator sets them."""
    monkeypatch.setenv("TEST_OUTSIDE_USER", READER)
    monkeypatch.setenv("TEST_OUTSIDE_PASSWORD", READER_PASSWORD)
    return {"username_env": "TEST_OUTSIDE_USER", "password_env": "TEST_OUTSIDE_PASSWORD"}


@pytest.fixture
def allow(settings) -> Callable[..., None]:
    """Set the operator's list of outside servers; short timeouts for the tests (long enough
    for a loaded machine: a slow server here takes longer than 2 s)."""
    settings.OUTSIDE_TIMEOUT_S = 2.0
    settings.OUTSIDE_DEADLINE_S = 8.0
    settings.OUTSIDE_RETRIES = 1
    settings.OUTSIDE_BACKOFF_S = 0.1

    def set_servers(*entries: dict) -> None:
        settings.OUTSIDE_SERVERS = json.dumps(list(entries))

    return set_servers


def outside_network(
    host: str = "127.0.0.1", port: int = 8086, database: str = OUTSIDE_DB, field: str | None = None
) -> bytes:
    """The generated 10-asset network (three profiles, demand1..3_MW over 2019, MW times a
    multiplier) with its profiles on the given server."""
    text = network_text(10)
    text = text.replace('host="127.0.0.1" port="8086"', f'host="{host}" port="{port}"')
    text = text.replace('database="energy_profiles"', f'database="{database}"')
    if field:
        for n in (1, 2, 3):
            text = text.replace(f'field="demand{n}_MW"', f'field="{field}"')
    return text.encode()


class FakeServer:
    """A loopback HTTP server whose answer per path is set by the test: ``routes[path] =
    function(handler)``; what it was asked is in ``requests``."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.routes: dict[str, Callable[[BaseHTTPRequestHandler], None]] = {}
        self.requests: list[str] = []
        self.authorizations: list[str | None] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                fake.requests.append(self.path)
                fake.authorizations.append(self.headers.get("Authorization"))
                route = fake.routes.get(self.path.split("?", 1)[0])
                if route is None:
                    self.send_error(404)
                    return
                try:
                    route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client hung up, as it should on a refused answer

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_server() -> Iterator[FakeServer]:
    server = FakeServer()
    yield server
    server.close()


@pytest.fixture(scope="session")
def certificates(tmp_path_factory) -> dict[str, str]:
    """A certificate authority of our own and a server certificate it signed for
    ``localhost``: paths of the CA's certificate, the server's certificate and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("tls")
    now = datetime.now(UTC)

    def certificate(subject: str, key, issuer: str, issuer_key, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(hours=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if ca:
            builder = builder.add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                critical=True,
            )
        else:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False
            )
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = certificate("Test outside CA", ca_key, "Test outside CA", ca_key, ca=True)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = certificate("localhost", server_key, "Test outside CA", ca_key, ca=False)
    paths = {name: str(folder / f"{name}.pem") for name in ("ca", "cert", "key")}
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "cert.pem").write_bytes(server.public_bytes(pem))
    (folder / "key.pem").write_bytes(
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@pytest.fixture
def tls_server(certificates) -> Iterator[FakeServer]:
    """A loopback HTTPS server with a certificate for ``localhost`` from our own CA."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates["cert"], certificates["key"])
    server = FakeServer(tls=context)
    yield server
    server.close()


def answer(body: bytes, status: int = 200, headers: dict[str, str] | None = None):
    def route(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            handler.send_header(key, value)
        handler.end_headers()
        handler.wfile.write(body)

    return route


def influx_year(handler: BaseHTTPRequestHandler) -> None:
    """An InfluxDB without authentication answering a query with a year of hourly points."""
    start = int(YEAR_START.timestamp())
    values = [[start + 3600 * hour, value_at(hour, "demand1_MW")] for hour in range(HOURS)]
    body = {
        "results": [
            {
                "statement_id": 0,
                "series": [{"name": MEASUREMENT, "columns": ["time", "x"], "values": values}],
            }
        ]
    }
    answer(json.dumps(body).encode(), headers={"Content-Type": "application/json"})(handler)


def slow(seconds: float, then: Callable):
    def route(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(seconds)
        then(handler)

    return route


def endless(handler: BaseHTTPRequestHandler) -> None:
    """A 200 without length that never ends: 64 KiB at a time, for ever."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.end_headers()
    handler.wfile.write(b'{"results":[{"series":[{"values":[')
    chunk = b"[1546300800,1.0]," * 4096
    for _ in range(100_000):
        handler.wfile.write(chunk)


def trickle(handler: BaseHTTPRequestHandler) -> None:
    """A 200 that sends one byte every half second, for ever: each read is quick, the answer
    never ends."""
    handler.send_response(200)
    handler.end_headers()
    for _ in range(10_000):
        handler.wfile.write(b" ")
        handler.wfile.flush()
        time.sleep(0.5)


def redirect(location: str):
    return answer(b"", status=302, headers={"Location": location})
