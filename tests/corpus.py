"""Real third-party ESDL models for the tests whose point is a model from the field.

They are not part of the repository (other projects' files, other licences): the tests read them
from the directory named by ``DT_ESDL_CORPUS`` (default: ``../shared/esdl`` beside the checkout),
and the EDR pipe catalogue from ``DT_EDR_PIPES`` (default: ``../shared/edr/edr_pipes.json``).
Where they are missing the test is skipped with one line saying how to get them, and the run ends
with the count of such skips. Tests that only need *a* valid network use
:func:`generated_network` instead.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS_DIR = Path(os.environ.get("DT_ESDL_CORPUS") or ROOT.parent / "shared" / "esdl")
EDR_PIPES = Path(
    os.environ.get("DT_EDR_PIPES") or ROOT.parent / "shared" / "edr" / "edr_pipes.json"
)

#: The start of every skip reason for a missing model (counted at the end of the run).
MISSING = "real ESDL model missing"


def _require(path: Path, what: str) -> Path:
    if not path.is_file():
        pytest.skip(
            f"{MISSING}: {what} not found at {path}; set DT_ESDL_CORPUS to a directory of the "
            "real ESDL test models (and DT_EDR_PIPES to edr_pipes.json) to run this test"
        )
    return path


def corpus_path(name: str) -> Path:
    """The path of a real model by file name (``test1.esdl``), or skip the test."""
    return _require(CORPUS_DIR / name, name)


def corpus_bytes(name: str) -> bytes:
    return corpus_path(name).read_bytes()


def edr_pipes_path() -> Path:
    return _require(EDR_PIPES, "the EDR pipe catalogue edr_pipes.json")


@cache
def generated_network(assets: int = 10, seed: int = 0, profiles: bool = True) -> bytes:
    """A valid heat network made by the project's own generator (same arguments, same bytes);
    without ``profiles`` its demands have a power only, so an upload has nothing to bind and a
    job can be submitted at once."""
    from omotes.esdl_generator import network_text

    return network_text(assets, seed, **({} if profiles else {"profile": None})).encode()
