"""Listening for cancel requests on the control exchange.

Each worker binds its own exclusive queue to the fanout exchange, so a cancel reaches every
worker and each one stops the runs it has of that job. The listener reconnects after a broker
restart; what it misses meanwhile the frontend repeats in answer to the next heartbeat.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

import pika

from omotes import broker as omotes_broker
from omotes.protocol import CancelRequest

logger = logging.getLogger(__name__)


class ControlListener(threading.Thread):
    def __init__(self, url: str, on_message: Callable[[CancelRequest], None]) -> None:
        super().__init__(name="control", daemon=True)
        self.url = url
        self.on_message = on_message
        self._stopping = threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            try:
                self._listen()
                delay = 1.0
            except Exception:  # noqa: BLE001 - any broker trouble: reconnect with backoff
                self.ready.clear()
                logger.warning("control channel lost; reconnecting in %.0f s", delay)
                self._stopping.wait(delay)
                delay = min(delay * 2, 30.0)

    def _listen(self) -> None:
        connection = pika.BlockingConnection(pika.URLParameters(self.url))
        try:
            channel = connection.channel()
            exchange = omotes_broker.control_exchange()
            channel.exchange_declare(exchange, exchange_type="fanout", durable=True)
            queue = channel.queue_declare("", exclusive=True, auto_delete=True).method.queue
            channel.queue_bind(queue, exchange)
            self.ready.set()
            for _method, _properties, body in channel.consume(
                queue, auto_ack=True, inactivity_timeout=1.0
            ):
                if self._stopping.is_set():
                    break
                if body is None:
                    continue
                try:
                    request = CancelRequest.from_dict(json.loads(body))
                except ValueError as exc:  # not JSON, or a ProtocolError
                    logger.warning("ignoring control message: %s", exc)
                    continue
                self.on_message(request)
        finally:
            try:
                connection.close()
            except Exception:  # noqa: BLE001
                pass

    def stop(self) -> None:
        self._stopping.set()
