"""What a listing request asks for, as the domain sees it: the validated query and its limits.

``catalog.api.params`` turns request parameters into a ``ListingQuery`` (and refuses bad ones
with a 400); the selectors and cache keys take the query as it is, so the domain knows nothing
of HTTP or DRF.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from catalog.cursors import Cursor

DEFAULT_PAGE_SIZE = 24
MAX_PAGE_SIZE = 100
ORDERINGS = ("newest", "price", "-price", "name")
LISTING_FIELDS = ("id", "sku", "name", "price", "category", "attributes", "images", "url")


@dataclass(frozen=True)
class ListingQuery:
    """A validated listing request; equal requests give equal objects (and cache keys)."""

    page_size: int = DEFAULT_PAGE_SIZE
    ordering: str = "newest"
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    attributes: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] = LISTING_FIELDS
    include_descendants: bool = True
    cursor: Cursor | None = None

    @property
    def document_driven(self) -> bool:
        """True when MongoDB must pick the page (a document filter or a document ordering)."""
        return (
            self.ordering != "newest"
            or self.min_price is not None
            or self.max_price is not None
            or bool(self.attributes)
        )

    def canonical_params(self) -> list[tuple[str, str]]:
        """Return every parameter but the cursor, defaults filled in, in a fixed order."""
        params = [("attr", f"{key}:{value}") for key, value in self.attributes]  # already sorted
        params += [
            ("fields", ",".join(self.fields)),
            ("include_descendants", "true" if self.include_descendants else "false"),
            ("max_price", "" if self.max_price is None else str(self.max_price)),
            ("min_price", "" if self.min_price is None else str(self.min_price)),
            ("ordering", self.ordering),
            ("page_size", str(self.page_size)),
        ]
        return params

    def link_params(self) -> list[tuple[str, str]]:
        """Return the parameters a next/previous link repeats (defaults left out)."""
        defaults = dict(ListingQuery().canonical_params())
        return [(k, v) for k, v in self.canonical_params() if k == "attr" or (v and v != defaults.get(k))]


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
