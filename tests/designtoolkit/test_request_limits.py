"""Requests too large for the product are answered at once, on the real web server
(``designtoolkit.webserver``, daphne): 413 for a body over the largest upload, before the body is
read, and 414 for an overlong URL."""

from __future__ import annotations

import base64
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from urllib.parse import urlsplit

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings

from tests.conftest import PASSWORD

HUNDRED_MB = 100 * 1024 * 1024
UPLOAD = "multipart/form-data; boundary=x"
BLOCK = b"x" * (1024 * 1024)


PART_HEAD = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="big.esdl"\r\n'
    b"Content-Type: application/xml\r\n\r\n"
)
PART_END = b"\r\n--x--\r\n"


def blocks(total: int) -> Iterator[bytes]:
    """A multipart form of ``total`` bytes: one file field, as a browser or script uploads it."""
    yield PART_HEAD
    filler = total - len(PART_HEAD) - len(PART_END)
    for start in range(0, filler, len(BLOCK)):
        yield BLOCK[: min(len(BLOCK), filler - start)]
    yield PART_END


def exchange(server: str, head: str, body: Iterable[bytes] = ()) -> tuple[int, str, float]:
    """Send a request, the body from another thread (the server may answer before it has all of
    it); return the status, the response text and the seconds until the answer's first bytes."""
    address = urlsplit(server)
    sock = socket.create_connection((address.hostname, address.port), timeout=60)

    def send_body() -> None:
        try:
            for chunk in body:
                sock.sendall(chunk)
        except OSError:
            pass  # the server answered and closed: the rest is not wanted

    started = time.monotonic()
    sock.sendall(head.encode())
    sender = threading.Thread(target=send_body, daemon=True)
    sender.start()
    first = sock.recv(65536)
    answered_s = time.monotonic() - started
    response = first
    while chunk := sock.recv(65536):
        response += chunk
    sock.close()
    sender.join(30)
    status_line, _, rest = response.decode(errors="replace").partition("\r\n")
    return int(status_line.split()[1]), rest, answered_s


def request_head(server: str, path: str, headers: dict[str, str]) -> str:
    """A POST from the owner of ``tests.conftest.api``, as a script uploading a model would."""
    host = urlsplit(server).netloc
    basic = base64.b64encode(f"owner@example.com:{PASSWORD}".encode()).decode()
    lines = [f"POST {path} HTTP/1.1", f"Host: {host}", "Connection: close"]
    lines += [f"Authorization: Basic {basic}", f"Content-Type: {UPLOAD}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n"


def test_a_100_mb_upload_is_answered_413_within_2_seconds(web_server, owner):
    # Before: Django spooled and parsed it for 10-19 s, then answered 400.
    head = request_head(
        web_server,
        "/api/models/",
        {"Content-Length": str(HUNDRED_MB)},
    )

    status, text, seconds = exchange(web_server, head, blocks(HUNDRED_MB))

    assert status == 413
    assert "Request bodies are limited to" in text
    assert seconds < 2, f"answered after {seconds:.1f} s"


def test_a_chunked_100_mb_upload_is_answered_413_within_2_seconds(web_server, owner):
    head = request_head(
        web_server,
        "/api/models/",
        {"Transfer-Encoding": "chunked"},
    )
    chunked = (b"%x\r\n%s\r\n" % (len(block), block) for block in blocks(HUNDRED_MB))

    status, _text, seconds = exchange(web_server, head, [*chunked, b"0\r\n\r\n"])

    assert status == 413
    assert seconds < 2, f"answered after {seconds:.1f} s"


def test_an_announced_100_mb_body_is_refused_before_any_of_it_arrives(web_server, owner):
    # The client sends the headers only: an answer now cannot have waited for the body.
    head = request_head(web_server, "/api/models/", {"Content-Length": str(HUNDRED_MB)})

    status, _text, seconds = exchange(web_server, head, iter([PART_HEAD]))

    assert status == 413
    assert seconds < 2, f"answered after {seconds:.1f} s"


def test_a_chunked_body_is_refused_once_it_passes_the_limit(web_server, owner):
    size = settings.REQUEST_BODY_MAX_BYTES + len(BLOCK)
    head = request_head(web_server, "/api/models/", {"Transfer-Encoding": "chunked"})
    # Past the limit, then nothing more (no last chunk): only a counting server answers.
    chunked = [b"%x\r\n%s\r\n" % (len(block), block) for block in blocks(size)][:-1]

    status, _text, seconds = exchange(web_server, head, chunked)

    assert status == 413
    assert seconds < 2, f"answered after {seconds:.1f} s"


def test_a_body_within_the_limit_reaches_the_application(web_server, owner):
    size = settings.REQUEST_BODY_MAX_BYTES
    head = request_head(
        web_server,
        "/api/models/",
        {"Content-Length": str(size)},
    )

    status, _text, _seconds = exchange(web_server, head, blocks(size))

    assert status == 400  # the API's answer to a form without a file, not the limit's


def test_an_overlong_url_is_answered_414(web_server, owner):
    long_query = "q=" + "a" * settings.URL_MAX_BYTES
    head = request_head(web_server, f"/api/models/?{long_query}", {"Content-Length": "0"})

    status, text, _seconds = exchange(web_server, head)

    assert status == 414
    assert "URLs are limited to" in text


def test_a_url_past_twisteds_line_limit_is_answered_414_not_dropped(web_server, owner):
    """Twisted gives up on a request line over 16 KiB and closed the connection silently."""
    head = request_head(web_server, f"/api/models/?q={'a' * 100_000}", {"Content-Length": "0"})

    status, text, _seconds = exchange(web_server, head)

    assert status == 414
    assert "URLs are limited to" in text


def test_a_header_line_past_twisteds_line_limit_is_answered_431(web_server, owner):
    head = request_head(web_server, "/api/models/", {"X-Padding": "a" * 100_000})

    status, _text, _seconds = exchange(web_server, head)

    assert status == 431


@pytest.mark.parametrize("length", ["-1", "12abc"])
def test_a_malformed_content_length_is_refused(web_server, owner, length):
    head = request_head(web_server, "/api/models/", {"Content-Length": length})

    status, _text, _seconds = exchange(web_server, head)

    assert status in (400, 413)


# The same limits in the ASGI application itself, for any other ASGI server.


def asgi_status(path: str, headers: list[tuple[bytes, bytes]], bodies: list[bytes]) -> int:
    from asgiref.testing import ApplicationCommunicator

    from designtoolkit.asgi import application

    path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }

    async def run() -> int:
        app = ApplicationCommunicator(application, scope)
        for i, body in enumerate(bodies):
            await app.send_input(
                {"type": "http.request", "body": body, "more_body": i < len(bodies) - 1}
            )
        start = await app.receive_output(timeout=30)
        await app.wait(timeout=30)
        return start["status"]

    return async_to_sync(run)()


def test_the_application_refuses_an_announced_large_body_without_reading_it(db):
    too_long = str(settings.REQUEST_BODY_MAX_BYTES + 1).encode()

    assert asgi_status("/api/models/", [(b"content-length", too_long)], [b""]) == 413


def test_the_application_counts_a_body_without_a_length(db):
    bodies = list(blocks(settings.REQUEST_BODY_MAX_BYTES + len(BLOCK)))

    assert asgi_status("/api/models/", [(b"content-type", UPLOAD.encode())], bodies) == 413


def test_the_application_refuses_an_overlong_url(db):
    path = "/api/models/?q=" + "a" * settings.URL_MAX_BYTES

    assert asgi_status(path, [], [b""]) == 414
