"""The web server: daphne, answering requests over the limits before it reads their bodies.

Run it as daphne: ``python -m designtoolkit.webserver -b 127.0.0.1 -p 8000
designtoolkit.asgi:application`` (``scripts/run.sh``, the Dockerfile and the tests do).

Plain daphne lets Twisted receive a request's whole body before the application starts, and
Twisted also reads a multipart or URL-encoded body into memory and parses it (into
``request.args``, which daphne never uses). So a 100 MB upload was received, held in memory and
parsed before any limit of ours could look at it. Here a request

* with a ``Content-Length`` over the limit is answered 413 as soon as its headers are in, and a
  chunked body is answered 413 the moment it passes the limit; what the client still sends is
  read and dropped for a few seconds (so it sees the answer, not a reset), then the connection
  closes;
* is never parsed by Twisted;
* with a URL over the limit is answered 414, also one so long that Twisted gives up on the
  request line (16 KiB), where it would drop the connection without a word (431 for a header line).

The limits and their messages are those of ``designtoolkit.request_limits``, whose ASGI middleware
holds them too, for the application under any other ASGI server.
"""

from __future__ import annotations

import functools
import sys

import daphne.server
from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from django.conf import settings
from twisted.internet import reactor

from designtoolkit.request_limits import body_limit_message, url_limit_message

#: How long a refused upload may go on being sent (and dropped) after the answer.
LINGER_S = 5
REASONS = {413: b"Content Too Large", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


def answer_and_close(transport, status: int, reason: str) -> None:
    """Answer outside the application, then stop writing; what the client still sends is read
    and dropped for a while (so it reads the answer instead of a reset) before the close."""
    body = f"{reason}\n".encode()
    transport.write(
        b"HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s"
        % (status, REASONS[status], len(body), body)
    )
    transport.loseWriteConnection()
    reactor.callLater(LINGER_S, transport.loseConnection)


class LimitedWebRequest(WebRequest):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, parsePOSTFormSubmission=False, **kwargs)
        self.body_bytes = 0
        self.refused = False

    def gotLength(self, length: int | None) -> None:
        super().gotLength(length)
        if length is not None and length > settings.REQUEST_BODY_MAX_BYTES:
            self.refuse(413, body_limit_message(settings.REQUEST_BODY_MAX_BYTES))

    def handleContentChunk(self, data: bytes) -> None:
        if self.refused:
            return
        self.body_bytes += len(data)
        if self.body_bytes > settings.REQUEST_BODY_MAX_BYTES:
            self.refuse(413, body_limit_message(settings.REQUEST_BODY_MAX_BYTES))
            return
        super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:
        if not self.refused and len(path) > settings.URL_MAX_BYTES:
            self.refuse(414, url_limit_message(settings.URL_MAX_BYTES))
        if self.refused:
            self.channel.transport.loseConnection()
            return
        super().requestReceived(command, path, version)

    def refuse(self, status: int, reason: str) -> None:
        """Answer at once, outside the application; drop the rest of the request."""
        self.refused = True
        # A "100 Continue" after the final answer would invite the body we refuse.
        self.requestHeaders.removeHeader(b"Expect")
        answer_and_close(self.channel.transport, status, reason)


def refuse_overlong_line(channel, line: bytes) -> None:
    """Twisted's answer to a request line or header line past its 16 KiB (``MAX_LENGTH``): a
    414 for the request line (the URL), a 431 for a header, once per connection."""
    if getattr(channel, "refused_overlong_line", False):
        return  # the rest of the refused request, read and dropped
    channel.refused_overlong_line = True
    if getattr(channel, "_HTTPChannel__first_line", 0):
        answer_and_close(channel.transport, 414, url_limit_message(settings.URL_MAX_BYTES))
    else:
        answer_and_close(channel.transport, 431, "A request header line is too long.")


class LimitedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr):
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = LimitedWebRequest
        # Twisted wraps its HTTP/1.1 channel (``_channel``) to negotiate HTTP/2; the line limit
        # is the channel's.
        channel = getattr(protocol, "_channel", protocol)
        channel.lineLengthExceeded = functools.partial(refuse_overlong_line, channel)
        return protocol


def main() -> None:
    # daphne's Server builds its HTTP factory from this module-level name and offers no option.
    daphne.server.HTTPFactory = LimitedHTTPFactory
    # No access log of daphne's (plain text): every request gets a JSON line with its id from
    # apps.operations.middleware. A later -v on the command line wins.
    sys.argv[1:1] = ["--verbosity", "0"]
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
