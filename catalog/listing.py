"""What a listing request asks for, as the domain sees it: the validated query and its limits.

``catalog.api.params`` turns request parameters into a ``ListingQuery`` (and refuses bad ones
with a 400); the selectors and cache keys take the query as it is, so the domain knows nothing
of HTTP or DRF.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from catalog.cursors import Cursor

DEFAULT_PAGE_SIZE = 24
MAX_PAGE_SIZE = 100
ORDERINGS = ("newest", "price", "-price", "name")
LISTING_FIELDS = ("id", "sku", "name", "price", "category", "attributes", "images", "url")
MAX_FACET_KEYS = 20
MAX_FACET_VALUES = 50
DEFAULT_PRICE_BUCKETS = 5
MAX_PRICE_BUCKETS = 20

#: A numeric attribute range: key, lowest and highest value (inclusive; None is an open end).
AttributeRange = tuple[str, "int | float | None", "int | float | None"]


def number_text(value: int | float | None) -> str:
    """Return a range bound as the canonical text of the query (empty for an open end)."""
    return "" if value is None else repr(value)


def range_text(bounds: AttributeRange) -> str:
    """Return ``KEY:LOW..HIGH``, the canonical form of an ``attr_range`` parameter."""
    key, low, high = bounds
    return f"{key}:{number_text(low)}..{number_text(high)}"


def filter_params(
    *,
    attributes: Iterable[tuple[str, str]],
    attribute_ranges: Iterable[AttributeRange],
    include_descendants: bool,
    min_price: Decimal | None,
    max_price: Decimal | None,
) -> list[tuple[str, str]]:
    """Return the filter parameters shared by the listing and the facets, in a fixed order."""
    params = [("attr", f"{key}:{value}") for key, value in attributes]  # already sorted
    params += [("attr_range", range_text(bounds)) for bounds in attribute_ranges]
    params += [("include_descendants", "true" if include_descendants else "false")]
    params += [("max_price", "" if max_price is None else str(max_price))]
    params += [("min_price", "" if min_price is None else str(min_price))]
    return params


@dataclass(frozen=True)
class ListingQuery:
    """A validated listing request; equal requests give equal objects (and cache keys)."""

    page_size: int = DEFAULT_PAGE_SIZE
    ordering: str = "newest"
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    #: (key, value) pairs, sorted: values of one key are alternatives (OR), keys all apply (AND).
    attributes: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] = LISTING_FIELDS
    include_descendants: bool = True
    cursor: Cursor | None = None
    #: Numeric ranges, sorted by key, one per key.
    attribute_ranges: tuple[AttributeRange, ...] = ()

    @property
    def document_driven(self) -> bool:
        """True when MongoDB must pick the page (a document filter or a document ordering)."""
        return (
            self.ordering != "newest"
            or self.min_price is not None
            or self.max_price is not None
            or bool(self.attributes)
            or bool(self.attribute_ranges)
        )

    def canonical_params(self) -> list[tuple[str, str]]:
        """Return every parameter but the cursor, defaults filled in, in a fixed order."""
        params = filter_params(
            attributes=self.attributes,
            attribute_ranges=self.attribute_ranges,
            include_descendants=self.include_descendants,
            min_price=self.min_price,
            max_price=self.max_price,
        )
        params += [
            ("fields", ",".join(self.fields)),
            ("ordering", self.ordering),
            ("page_size", str(self.page_size)),
        ]
        return sorted(params, key=lambda pair: pair[0])  # stable: repeated names keep their order

    def link_params(self) -> list[tuple[str, str]]:
        """Return the parameters a next/previous link repeats (defaults left out)."""
        defaults = dict(ListingQuery().canonical_params())
        repeated = ("attr", "attr_range")
        return [(k, v) for k, v in self.canonical_params() if k in repeated or (v and v != defaults.get(k))]


@dataclass(frozen=True)
class FacetQuery:
    """A validated facets request: the listing's filters, the attribute keys to count (empty:
    every key present in the subtree, at most ``MAX_FACET_KEYS``) and the price buckets."""

    min_price: Decimal | None = None
    max_price: Decimal | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    attribute_ranges: tuple[AttributeRange, ...] = ()
    include_descendants: bool = True
    facets: tuple[str, ...] = ()  # sorted
    price_buckets: int = DEFAULT_PRICE_BUCKETS

    def canonical_params(self) -> list[tuple[str, str]]:
        """Return every parameter, defaults filled in, in a fixed order (the cache key's)."""
        params = filter_params(
            attributes=self.attributes,
            attribute_ranges=self.attribute_ranges,
            include_descendants=self.include_descendants,
            min_price=self.min_price,
            max_price=self.max_price,
        )
        params += [("facets", ",".join(self.facets)), ("price_buckets", str(self.price_buckets))]
        return sorted(params, key=lambda pair: pair[0])


def attribute_candidates(value: str) -> list[Any]:
    """Return the literal values an attribute filter matches: the text, and the number or
    boolean it spells (attributes hold text, numbers, booleans and lists of those)."""
    candidates: list[Any] = [value]
    lowered = value.strip().lower()
    if lowered in ("true", "false"):
        candidates.append(lowered == "true")
    else:
        try:
            number = float(value)
        except ValueError:
            number = None
        if number is not None and math.isfinite(number):
            candidates.append(int(number) if number.is_integer() and abs(number) < 2**53 else number)
    return candidates
