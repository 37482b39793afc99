"""The lines of an asset's encoded bodies, for tests that compare them with ``encode_line``."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from omotes.results import AssetOutput, Body, Timeline, encode_asset


def lines_of(bodies: Sequence[Body]) -> list[str]:
    """The lines of ``bodies``, checking that each body ends its lines and counts them."""
    lines = []
    for body in bodies:
        text = body.data.decode("utf-8")
        assert text.endswith("\n") and text.count("\n") == body.lines
        lines.extend(text.splitlines())
    return lines


def encoded_lines(
    output: AssetOutput, values: np.ndarray, stamps: Sequence[str], lines_per_body: int = 2
) -> list[str]:
    """``encode_asset``'s lines, cut into small bodies so the cuts are tested too."""
    return lines_of(encode_asset(output, values, Timeline.of(map(int, stamps)), lines_per_body))
