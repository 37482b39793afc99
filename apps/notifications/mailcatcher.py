"""A local mail catcher: an SMTP server that keeps what it is sent, and a page listing it.

``scripts/run.sh`` starts it so a new user sees the mails the demo sends (job ends, ticket
replies, address confirmations) without a mail server; the tests send to it on loopback. It
imports no Django: ``python -m apps.notifications.mailcatcher --smtp-port 1025 --http-port 8025``.
Messages live in memory (the newest ``KEEP``); anything the page shows is escaped.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import html
import json
import threading
from collections import deque
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

KEEP = 500


@dataclass(frozen=True)
class CaughtMail:
    received: str
    sender: str
    recipients: list[str]
    subject: str
    body: str


class Inbox:
    """aiosmtpd handler: every mail accepted, parsed and kept (thread-safe)."""

    def __init__(self, keep: int = KEEP) -> None:
        self._mails: deque[CaughtMail] = deque(maxlen=keep)
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = message.get_body(preferencelist=("plain", "html"))
        mail = CaughtMail(
            received=datetime.now(UTC).isoformat(timespec="seconds"),
            sender=envelope.mail_from,
            recipients=list(envelope.rcpt_tos),
            subject=str(message.get("Subject", "")),
            body=part.get_content() if part is not None else "",
        )
        with self._lock:
            self._mails.append(mail)
        return "250 Message accepted for delivery"

    def mails(self) -> list[CaughtMail]:
        with self._lock:
            return list(self._mails)

    def clear(self) -> None:
        with self._lock:
            self._mails.clear()


def smtp_server(inbox: Inbox, host: str, port: int) -> Controller:
    """An SMTP server (not yet started) delivering into ``inbox``."""
    return Controller(inbox, hostname=host, port=port)


def page(mails: list[CaughtMail]) -> str:
    rows = "".join(
        f"<article><h2>{html.escape(m.subject)}</h2><p class=meta>{html.escape(m.received)} · "
        f"from {html.escape(m.sender)} to {html.escape(', '.join(m.recipients))}</p>"
        f"<pre>{html.escape(m.body)}</pre></article>"
        for m in reversed(mails)
    )
    return (
        "<!doctype html><meta charset=utf-8><title>Mail catcher · Design Toolkit</title>"
        "<meta http-equiv=refresh content=10><style>body{font:15px system-ui;margin:2rem;"
        "max-width:900px}article{border:1px solid #ccc;border-radius:6px;padding:0 1rem;"
        "margin:1rem 0}.meta{color:#666}pre{white-space:pre-wrap}</style>"
        f"<h1>Mails sent by the Design Toolkit ({len(mails)})</h1>"
        f"{rows or '<p>None yet.</p>'}"
    )


def http_server(inbox: Inbox, host: str, port: int) -> ThreadingHTTPServer:
    """The page listing the mails (``/``), and the same as JSON (``/messages.json``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if self.path == "/messages.json":
                body = json.dumps([asdict(m) for m in inbox.mails()]).encode()
                content_type = "application/json"
            elif self.path == "/":
                body = page(inbox.mails()).encode()
                content_type = "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", "default-src 'self' 'unsafe-inline'")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    return ThreadingHTTPServer((host, port), Handler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args()
    inbox = Inbox()
    smtp = smtp_server(inbox, args.host, args.smtp_port)
    smtp.start()
    web = http_server(inbox, args.host, args.http_port)
    print(
        f"mail catcher: SMTP on {args.host}:{args.smtp_port}, "
        f"mails at http://{args.host}:{args.http_port}/",
        flush=True,
    )
    try:
        web.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        smtp.stop()


if __name__ == "__main__":
    main()
