"""Floats as fixed-width decimal text, made for whole arrays at once (the result writer's values).

Why: a full-size result is 87.6 M values, and writing each as Python text (``repr``, or orjson's
shortest digits split into one string per value) cost the worker about 20 ms of CPU per asset of
8,760 hours, 20-30 s a job, on the 2 cores InfluxDB ingests with. Fixed-width text can be made
by numpy for every value of an asset in a handful of array operations (about 5 ms) and laid
straight into the bytes of the lines (:func:`omotes.results.encode_asset`), with no Python
object per value.

Every value is written in scientific notation, 14 characters: ``d.dddddddde±XX`` with 9
significant digits, ``-d.ddddddde±XX`` with 8 for a negative value. That is a relative error
below 5e-9 (5e-8 when negative), far finer than the models' own accuracy (their solvers' relative
tolerances are 1e-6 and coarser; a float32 holds 7 digits) and what InfluxDB then stores as a
double. Zero (and minus zero) is ``0.00000000e+00``. Values that do not fit, non-finite ones and
magnitudes from 1e100 or below 1e-99, are :func:`fits` false: the caller writes those another way.
"""

from __future__ import annotations

import numpy as np

#: Characters of one value's text.
WIDTH = 14
#: Significant digits of a value that is not negative (one fewer when it is).
DIGITS = 9
#: Two exponent digits: the text holds magnitudes from 1e-99 to below 1e100.
_LARGEST_EXPONENT = 99
#: Powers of ten by exponent + _POWER_OFFSET.
_POWER_OFFSET = 140
_POWERS = 10.0 ** np.arange(-_POWER_OFFSET, _POWER_OFFSET + 1)
#: "0000" .. "9999" as 4-byte words, and "e-99" .. "e+99", to lay digits down four at a time.
_QUADS = np.frombuffer("".join(f"{i:04d}" for i in range(10_000)).encode(), dtype="<u4")
_EXPONENTS = np.frombuffer(
    "".join(
        f"e{'-' if i < 0 else '+'}{abs(i):02d}"
        for i in range(-_LARGEST_EXPONENT, _LARGEST_EXPONENT + 1)
    ).encode(),
    dtype="<u4",
)


def fits(values: np.ndarray) -> np.ndarray:
    """Which values :func:`fixed_width` can write: finite, zero or of magnitude 1e-99 to 1e100."""
    magnitude = np.abs(values)
    with np.errstate(invalid="ignore"):
        return (magnitude < 10.0 ** (_LARGEST_EXPONENT + 1)) & (
            (magnitude >= 10.0**-_LARGEST_EXPONENT) | (magnitude == 0)
        )


def fixed_width(values: np.ndarray) -> np.ndarray:
    """The text of each value as a (n, :data:`WIDTH`) uint8 array, for a flat float64 array
    whose values all :func:`fit <fits>` (others give wrong text, not an error)."""
    values = np.ascontiguousarray(values, dtype=np.float64).ravel()
    negative = values < 0
    magnitude = np.abs(values)
    digits = DIGITS - negative.astype(np.int32)
    # The decimal exponent from the binary one: floor(log10) or one less (1233 / 4096 < log10 2).
    _, binary = np.frexp(magnitude)
    exponent = ((binary - 1) * 1233) >> 12
    scaled = magnitude * _POWERS[_POWER_OFFSET - 1 + digits - exponent]
    # One digit too many: the exponent was one less, or the rounding carries (9.9999999996).
    over = scaled >= _POWERS[_POWER_OFFSET + digits] - 0.5
    scaled[over] *= 0.1
    exponent += over
    exponent[magnitude == 0] = 0
    mantissa = np.rint(scaled).astype(np.int64)
    # A negative value's 8 digits become 9 with a trailing zero, dropped when shifted below.
    mantissa[negative] *= 10
    first, rest = np.divmod(mantissa, 100_000_000)
    high, low = np.divmod(rest, 10_000)
    # Four words a value: two spare bytes, the first digit and the point, then 4 + 4 digits and
    # the exponent; the text is bytes 2 to 16.
    words = np.empty((values.size, 4), dtype="<u4")
    raw = words.view(np.uint8)
    raw[:, 2] = first + ord("0")
    raw[:, 3] = ord(".")
    words[:, 1] = _QUADS[high]
    words[:, 2] = _QUADS[low]
    exponent = np.clip(exponent, -_LARGEST_EXPONENT, _LARGEST_EXPONENT)
    words[:, 3] = _EXPONENTS[exponent + _LARGEST_EXPONENT]
    text = raw[:, 2:16]
    if not negative.any():
        return text
    # "-" and the first 8 digits with the point one place on: "-d.ddddddde+XX".
    shifted = np.empty_like(text)
    shifted[:, 0] = ord("-")
    shifted[:, 1:10] = raw[:, 2:11]
    shifted[:, 10:] = raw[:, 12:16]
    return np.where(negative[:, None], shifted, text)
