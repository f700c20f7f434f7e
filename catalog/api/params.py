"""The listing's and the facets' query parameters: parsed, validated and normalized (into a
``catalog.listing.ListingQuery`` or ``FacetQuery``) before anything else runs.

Every problem is a 400 naming the parameter. Values become literals in SQL and MongoDB
queries (never operators): attribute keys are restricted to plain names, and values are
compared for equality only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from catalog import cursors
from catalog.listing import (
    LISTING_FIELDS,
    MAX_FACET_KEYS,
    MAX_PAGE_SIZE,
    MAX_PRICE_BUCKETS,
    ORDERINGS,
    AttributeRange,
    FacetQuery,
    ListingQuery,
)

MAX_PRICE = Decimal("9999999999.99")
MAX_ATTRIBUTE_FILTERS = 10
ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\- ]{0,63}")
MAX_ATTRIBUTE_VALUE_LENGTH = 200
MAX_RANGE_INTEGER = 2**63 - 1  # a BSON integer
NUMBER = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?", re.ASCII)
FILTERS = ("min_price", "max_price", "include_descendants")
SINGLE_VALUED = ("cursor", "page_size", "ordering", *FILTERS, "fields")
KNOWN = frozenset({*SINGLE_VALUED, "attr", "attr_range", "format"})
FACET_SINGLE_VALUED = (*FILTERS, "facets", "price_buckets")
FACET_KNOWN = frozenset({*FACET_SINGLE_VALUED, "attr", "attr_range", "format"})
TRUE, FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})


class _Reader:
    """The request's parameters, checked for unknown names and repeats up front."""

    def __init__(
        self, params: QueryDict | Mapping[str, Any], known: frozenset[str], single: tuple[str, ...]
    ) -> None:
        if isinstance(params, QueryDict):
            self.get_list = params.getlist
        else:
            self.get_list = lambda k: [params[k]] if k in params else []
        errors: dict[str, list[str]] = {}
        for name in params:
            if name not in known:
                errors[name] = [f"unknown parameter; known ones: {', '.join(sorted(known - {'format'}))}"]
        for name in single:
            if len(self.get_list(name)) > 1:
                errors[name] = ["give this parameter once"]
        if errors:
            raise ValidationError(errors)
        self.errors: dict[str, list[str]] = {}

    def one(self, name: str) -> str | None:
        values = self.get_list(name)
        return values[0].strip() if values else None

    def parse(self, values: dict[str, Any], parsers: tuple[tuple[str, Any], ...]) -> None:
        for name, parse in parsers:
            raw = self.one(name)
            if raw is None or raw == "":
                continue
            try:
                values[name] = parse(raw)
            except ValueError as exc:
                self.errors[name] = [str(exc)]

    def filters(self, values: dict[str, Any]) -> None:
        """Parse the filters the listing and the facets share into ``values``."""
        self.parse(values, (("min_price", _price), ("max_price", _price), ("include_descendants", _boolean)))
        try:
            values["attributes"] = _attributes(self.get_list("attr"))
        except ValueError as exc:
            self.errors["attr"] = [str(exc)]
        try:
            values["attribute_ranges"] = _attribute_ranges(self.get_list("attr_range"))
        except ValueError as exc:
            self.errors["attr_range"] = [str(exc)]
        low, high = values.get("min_price"), values.get("max_price")
        if low is not None and high is not None and low > high:
            self.errors["min_price"] = ["min_price is above max_price"]


def parse_listing_query(params: QueryDict | Mapping[str, Any]) -> ListingQuery:
    """Return the validated query; raise ``ValidationError`` ({parameter: [message]}) if not."""
    reader = _Reader(params, KNOWN, SINGLE_VALUED)
    errors = reader.errors
    one = reader.one
    values: dict[str, Any] = {}
    reader.parse(values, (("page_size", _page_size), ("ordering", _ordering), ("fields", _fields)))
    reader.filters(values)
    raw_cursor = one("cursor")
    if raw_cursor and "ordering" not in errors:
        try:
            values["cursor"] = cursors.decode(raw_cursor, ordering=values.get("ordering", "newest"))
        except ValueError as exc:
            errors["cursor"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return ListingQuery(**values)


def parse_facet_query(params: QueryDict | Mapping[str, Any]) -> FacetQuery:
    """Return the validated facets query; raise ``ValidationError`` as ``parse_listing_query``."""
    reader = _Reader(params, FACET_KNOWN, FACET_SINGLE_VALUED)
    values: dict[str, Any] = {}
    reader.parse(values, (("facets", _facet_keys), ("price_buckets", _price_buckets)))
    reader.filters(values)
    if reader.errors:
        raise ValidationError(reader.errors)
    return FacetQuery(**values)


def _facet_keys(raw: str) -> tuple[str, ...]:
    keys = {key.strip() for key in raw.split(",") if key.strip()}
    if not keys:
        raise ValueError("name at least one attribute key, for example facets=color,size")
    if len(keys) > MAX_FACET_KEYS:
        raise ValueError(f"at most {MAX_FACET_KEYS} attribute keys")
    for key in keys:
        _check_key(key)
    return tuple(sorted(keys))


def _price_buckets(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PRICE_BUCKETS:
        raise ValueError(f"a whole number from 1 to {MAX_PRICE_BUCKETS}")
    return int(raw)


def _check_key(key: str) -> None:
    if not ATTRIBUTE_KEY.fullmatch(key):
        raise ValueError(f"{key!r}: an attribute name is letters, digits, spaces, '_' and '-' (64 at most)")


def _number(raw: str) -> int | float:
    """A range bound: an integer (64-bit) or a finite decimal number, as MongoDB compares it."""
    if not NUMBER.fullmatch(raw):
        raise ValueError
    if raw.lstrip("-").isdigit():
        value = int(raw)
        if abs(value) > MAX_RANGE_INTEGER:
            raise ValueError
        return value
    number = float(raw)
    if not math.isfinite(number):
        raise ValueError
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


def _attribute_ranges(raws: list[str]) -> tuple[AttributeRange, ...]:
    if len(raws) > MAX_ATTRIBUTE_FILTERS:
        raise ValueError(f"at most {MAX_ATTRIBUTE_FILTERS} attribute ranges")
    ranges: dict[str, AttributeRange] = {}
    for raw in raws:
        key, sep, bounds = raw.partition(":")
        key = key.strip()
        low_text, dots, high_text = bounds.partition("..")
        low_text, high_text = low_text.strip(), high_text.strip()
        if not sep or not dots or not (low_text or high_text):
            raise ValueError(
                f"{raw!r}: write attr_range=KEY:LOW..HIGH, for example attr_range=weight:1..5 (or ..5, 1..)"
            )
        _check_key(key)
        try:
            low = _number(low_text) if low_text else None
            high = _number(high_text) if high_text else None
        except ValueError:
            raise ValueError(f"{raw!r}: the bounds are numbers, such as attr_range=weight:0.5..2") from None
        if low is not None and high is not None and low > high:
            raise ValueError(f"{raw!r}: the low bound is above the high bound")
        if key in ranges:
            raise ValueError(f"{key!r}: give one range per attribute")
        ranges[key] = (key, low, high)
    return tuple(ranges[key] for key in sorted(ranges))


def _page_size(raw: str) -> int:
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise ValueError(f"a whole number from 1 to {MAX_PAGE_SIZE}")
    return int(raw)


def _ordering(raw: str) -> str:
    if raw not in ORDERINGS:
        raise ValueError(f"one of {', '.join(ORDERINGS)}")
    return raw


def _price(raw: str) -> Decimal:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValueError("a decimal number such as 19.99") from None
    if not value.is_finite() or value < 0 or value > MAX_PRICE:
        raise ValueError(f"a decimal number from 0 to {MAX_PRICE}")
    if value != value.quantize(Decimal("0.01")):
        raise ValueError("at most two decimal places")
    return value.quantize(Decimal("0.01"))


def _fields(raw: str) -> tuple[str, ...]:
    names = [name.strip() for name in raw.split(",") if name.strip()]
    unknown = sorted(set(names) - set(LISTING_FIELDS))
    if unknown:
        raise ValueError(f"unknown field(s) {', '.join(unknown)}; known ones: {', '.join(LISTING_FIELDS)}")
    if not names:
        raise ValueError("name at least one field")
    return tuple(name for name in LISTING_FIELDS if name in names)  # canonical order


def _boolean(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in TRUE:
        return True
    if lowered in FALSE:
        return False
    raise ValueError("true or false")


def _attributes(raws: list[str]) -> tuple[tuple[str, str], ...]:
    if len(raws) > MAX_ATTRIBUTE_FILTERS:
        raise ValueError(f"at most {MAX_ATTRIBUTE_FILTERS} attribute filters")
    pairs = set()
    for raw in raws:
        key, sep, value = raw.partition(":")
        key = key.strip()
        if not sep or not value:
            raise ValueError(f"{raw!r}: write attr=KEY:VALUE, for example attr=color:red")
        _check_key(key)
        if len(value) > MAX_ATTRIBUTE_VALUE_LENGTH:
            raise ValueError(f"{key!r}: a value is at most {MAX_ATTRIBUTE_VALUE_LENGTH} characters")
        pairs.add((key, value))
    return tuple(sorted(pairs))
