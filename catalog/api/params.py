"""The listing's query parameters: parsed, validated and normalized (into a
``catalog.listing.ListingQuery``) before anything else runs.

Every problem is a 400 naming the parameter. Values become literals in SQL and MongoDB
queries (never operators): attribute keys are restricted to plain names, and values are
compared for equality only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import QueryDict
from rest_framework.exceptions import ValidationError

from catalog import cursors
from catalog.listing import LISTING_FIELDS, MAX_PAGE_SIZE, ORDERINGS, ListingQuery

MAX_PRICE = Decimal("9999999999.99")
MAX_ATTRIBUTE_FILTERS = 10
ATTRIBUTE_KEY = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_\- ]{0,63}")
MAX_ATTRIBUTE_VALUE_LENGTH = 200
SINGLE_VALUED = ("cursor", "page_size", "ordering", "min_price", "max_price", "fields", "include_descendants")
KNOWN = frozenset({*SINGLE_VALUED, "attr", "format"})
TRUE, FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})


def parse_listing_query(params: QueryDict | Mapping[str, Any]) -> ListingQuery:
    """Return the validated query; raise ``ValidationError`` ({parameter: [message]}) if not."""
    errors: dict[str, list[str]] = {}
    get_list = (
        params.getlist if isinstance(params, QueryDict) else (lambda k: [params[k]] if k in params else [])
    )
    for name in params:
        if name not in KNOWN:
            errors[name] = [f"unknown parameter; known ones: {', '.join(sorted(KNOWN - {'format'}))}"]
    for name in SINGLE_VALUED:
        if len(get_list(name)) > 1:
            errors[name] = ["give this parameter once"]
    if errors:
        raise ValidationError(errors)

    def one(name: str) -> str | None:
        values = get_list(name)
        return values[0].strip() if values else None

    values: dict[str, Any] = {}
    for name, parse in (
        ("page_size", _page_size),
        ("ordering", _ordering),
        ("min_price", _price),
        ("max_price", _price),
        ("fields", _fields),
        ("include_descendants", _boolean),
    ):
        raw = one(name)
        if raw is None or raw == "":
            continue
        try:
            values[name] = parse(raw)
        except ValueError as exc:
            errors[name] = [str(exc)]
    try:
        values["attributes"] = _attributes(get_list("attr"))
    except ValueError as exc:
        errors["attr"] = [str(exc)]
    low, high = values.get("min_price"), values.get("max_price")
    if low is not None and high is not None and low > high:
        errors["min_price"] = ["min_price is above max_price"]
    raw_cursor = one("cursor")
    if raw_cursor and "ordering" not in errors:
        try:
            values["cursor"] = cursors.decode(raw_cursor, ordering=values.get("ordering", "newest"))
        except ValueError as exc:
            errors["cursor"] = [str(exc)]
    if errors:
        raise ValidationError(errors)
    return ListingQuery(**values)


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
        if not ATTRIBUTE_KEY.fullmatch(key):
            raise ValueError(
                f"{key!r}: an attribute name is letters, digits, spaces, '_' and '-' (64 at most)"
            )
        if len(value) > MAX_ATTRIBUTE_VALUE_LENGTH:
            raise ValueError(f"{key!r}: a value is at most {MAX_ATTRIBUTE_VALUE_LENGTH} characters")
        pairs.add((key, value))
    return tuple(sorted(pairs))
