"""Prices leave MongoDB as Decimal128 and the API as two-place strings; the fast path reads the
bits of two-place values, everything else takes Decimal's path, and both agree."""

import random
from decimal import Decimal

import pytest
from bson.decimal128 import Decimal128

from catalog.selectors import _cents_text, price_text


@pytest.mark.parametrize(
    ("stored", "text"),
    [("0.00", "0.00"), ("0.01", "0.01"), ("-0.01", "-0.01"), ("19.99", "19.99"), ("100.10", "100.10"),
     ("9999999999.99", "9999999999.99"), ("1", "1.00"), ("1.5", "1.50"), ("1E+2", "100.00"),
     ("2.345", "2.34")],
)  # fmt: skip
def test_a_stored_price_is_the_api_s_two_place_string(stored, text):
    assert price_text(Decimal128(Decimal(stored))) == text
    assert price_text(Decimal(stored)) == text


def test_the_fast_path_agrees_with_decimal_and_declines_what_is_not_two_places():
    rng = random.Random(7)
    for _ in range(5000):
        value = Decimal(rng.randint(-(10**14), 10**14)).scaleb(-2)  # exactly two places
        assert _cents_text(Decimal128(value)) == str(Decimal128(value).to_decimal().quantize(Decimal("0.01")))
    assert _cents_text(Decimal128(Decimal("1.5"))) is None
    assert _cents_text(Decimal128("Infinity")) is None and _cents_text(Decimal128("NaN")) is None
    assert price_text(None) is None
