"""Fixed-width float text (omotes.float_text): every value 14 characters that InfluxDB parses
back within 5e-9 (5e-8 when negative), the awkward ones included, and the values it cannot hold
are the ones ``fits`` refuses."""

from __future__ import annotations

import numpy as np
import pytest

from omotes.float_text import WIDTH, fits, fixed_width


def texts(values: list[float] | np.ndarray) -> list[str]:
    return [row.tobytes().decode() for row in fixed_width(np.asarray(values, dtype=np.float64))]


def test_awkward_values_are_written_as_scientific_text_of_one_width() -> None:
    assert texts([0.0, -0.0, 1.0, 10.0, -1.5, 848.0336062630205, 1e-99, 9.99e99]) == [
        "0.00000000e+00",
        "0.00000000e+00",
        "1.00000000e+00",
        "1.00000000e+01",
        "-1.5000000e+00",
        "8.48033606e+02",
        "1.00000000e-99",
        "9.99000000e+99",
    ]


def test_rounding_that_carries_moves_the_exponent() -> None:
    # 9.9999999996 has ten nines at 9 digits: it rounds to 10, not to "10.0000000e+00".
    assert texts([9.9999999996, -9.99999999996, 99.99999999, 0.0009999999999]) == [
        "1.00000000e+01",
        "-1.0000000e+01",
        "1.00000000e+02",
        "1.00000000e-03",
    ]


def test_powers_of_ten_and_their_neighbours_get_the_right_exponent() -> None:
    exponents = np.arange(-99, 100)
    for scale in (1.0, 0.9999999, 1.0000001, 5.0, 9.99999):
        values = scale * 10.0 ** exponents.astype(np.float64)
        values = values[fits(values)]  # 0.9999999e-99 is below the range
        parsed = np.array([float(text) for text in texts(values)])
        assert np.all(np.abs(parsed / values - 1) < 5e-9)
        assert all(len(text) == WIDTH for text in texts(values))


def test_random_values_of_every_magnitude_parse_back_within_the_stated_error() -> None:
    rng = np.random.default_rng(11)
    values = rng.standard_normal(200_000) * 10.0 ** rng.uniform(-98, 99, 200_000)
    values = values[fits(values)]
    assert len(values) > 199_000
    written = texts(values)
    parsed = np.array([float(text) for text in written])

    error = np.abs(parsed - values) / np.abs(values)
    assert error[values > 0].max() < 5e-9
    assert error[values < 0].max() < 5e-8
    assert {len(text) for text in written} == {WIDTH}


def test_what_the_text_cannot_hold_does_not_fit() -> None:
    values = np.array([np.nan, np.inf, -np.inf, 1e100, -2e150, 1e-100, 5e-324, 0.0, 1e-99, 9e99])

    assert fits(values).tolist() == [False] * 7 + [True] * 3


@pytest.mark.parametrize("value", [1.0, -1.0, 123456.789, -0.000271828])
def test_a_fitting_value_alone_and_among_others_is_written_alike(value: float) -> None:
    among = texts([value, -3.0, 7e7])[0]
    assert texts([value]) == [among]
