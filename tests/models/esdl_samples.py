"""Shared ESDL test data for the tests of apps.models: the shared models, and helpers.

The asset counts and totals describe the models in ``shared/esdl``; ``no_io`` guards a block
against any file open or outgoing connection.
"""

from __future__ import annotations

import builtins
import io
import socket
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from apps.models.esdl_document import EsdlDocument

SHARED = Path(__file__).parents[3] / "shared"
ESDL_DIR = SHARED / "esdl"
EDR_PIPES = SHARED / "edr" / "edr_pipes.json"

EXPECTED_COUNTS = {
    "test1": {"GenericProducer": 1, "HeatingDemand": 1, "Pipe": 2},
    "test1_heatloss": {"GenericProducer": 1, "HeatingDemand": 1, "Pipe": 2},
    "test1_prod_profile": {"GenericProducer": 1, "HeatingDemand": 1, "Pipe": 2},
    "Simple_heat_exchange": {"GenericConsumer": 1, "GenericProducer": 1, "HeatExchange": 1},
    "test_2_sources": {"GenericProducer": 2, "HeatingDemand": 1, "Joint": 2, "Pipe": 4},
    "2sources": {"GenericProducer": 2, "HeatingDemand": 1, "Joint": 2, "Pipe": 6},
    "test_buffer": {
        "HeatProducer": 1,
        "HeatStorage": 1,
        "HeatingDemand": 1,
        "Joint": 2,
        "Pipe": 6,
    },
    "heat_pump_bypass": {
        "ATES": 1,
        "GenericProducer": 1,
        "HeatPump": 1,
        "HeatingDemand": 1,
        "Joint": 2,
        "Pipe": 8,
    },
    "test_ates": {"ATES": 1, "GenericProducer": 1, "HeatingDemand": 3, "Joint": 6, "Pipe": 14},
    "cluster1merged_pipes": {"GenericProducer": 2, "HeatingDemand": 3, "Joint": 14, "Pipe": 22},
}
# Totals as stated in shared/esdl/README.md (`<asset ` elements per file).
EXPECTED_TOTALS = {
    "test1": 4,
    "test1_heatloss": 4,
    "test1_prod_profile": 4,
    "Simple_heat_exchange": 3,
    "test_2_sources": 9,
    "2sources": 11,
    "test_buffer": 11,
    "heat_pump_bypass": 14,
    "test_ates": 25,
    "cluster1merged_pipes": 41,
}

MINIMAL = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<esdl:EnergySystem xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:esdl="http://www.tno.nl/esdl" id="es1" name="Minimal">\n'
    '  <instance xsi:type="esdl:Instance" id="i1" name="I">\n'
    '    <area xsi:type="esdl:Area" id="a1" name="A">{body}</area>\n'
    "  </instance>\n"
    "</esdl:EnergySystem>\n"
)


def model_text(name: str) -> str:
    return (ESDL_DIR / f"{name}.esdl").read_text(encoding="utf-8")


def minimal_esdl(body: str = "", prolog: str = "") -> bytes:
    text = MINIMAL.format(body=body)
    if prolog:
        head, rest = text.split("\n", 1)
        text = f"{head}\n{prolog}\n{rest}"
    return text.encode("utf-8")


@contextmanager
def no_io() -> Iterator[list[str]]:
    """Record (and fail) any file open or outgoing connection inside the block.

    Calls are recorded, not only refused, because the intake turns every exception into
    EsdlRejected: a refused open would otherwise look like a correct rejection.
    """
    EsdlDocument.from_upload(minimal_esdl())  # warm up lazy imports before guarding
    calls: list[str] = []

    def guard(kind: str) -> Callable[..., None]:
        def refuse(*args: object, **kwargs: object) -> None:
            calls.append(f"{kind}{args[:2]!r}")
            raise AssertionError(f"unexpected {kind} during ESDL intake: {args[:2]!r}")

        return refuse

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(builtins, "open", guard("open"))
        mp.setattr(io, "open", guard("io.open"))
        mp.setattr(socket.socket, "connect", guard("connect"))
        mp.setattr(socket, "create_connection", guard("create_connection"))
        mp.setattr(urllib.request, "urlopen", guard("urlopen"))
        yield calls
