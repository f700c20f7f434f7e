"""Reads of products for the API: one SQL query and one MongoDB query per page.

A page is driven by the store that can answer its filter and ordering on an index: the
newest-first listing without document filters comes from SQL (the partial index on
category, created_at, id), and MongoDB fills in the page's documents; a price or attribute
filter, or a price or name ordering, comes from MongoDB (indexes starting with the category
id), and SQL fills in the rows. Results are plain dicts, ready to render: no model instances
and no per-field serializer work on the hot path.

The reads are written once, as steps that yield their I/O (``Sql`` and ``Find``) and receive
the results: ``product_listing`` and ``product_detail`` run them on the blocking clients
(WSGI), ``catalog.aio_selectors`` on the asyncio ones (ASGI). Both paths therefore send the
same statements and commands and build the same bodies.

The category and its descendants are resolved by the page's own SQL statement (a recursive
CTE over the category table, a few hundred rows), not by loading the whole tree per request:
the newest-first page is one statement that walks the partial index once per category of the
subtree (a LATERAL join, at most a page of rows each), so its cost does not grow with the
number of products in the subtree, nor with the page's depth.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from bson.decimal128 import Decimal128
from django.db import connections, router

from catalog.cursors import Cursor
from catalog.listing import LISTING_FIELDS, AttributeRange, ListingQuery, attribute_candidates
from catalog.models import Product
from catalog_service.documents.client import get_collection
from categories.models import Category

log = logging.getLogger(__name__)

DOCUMENT_FIELDS = ("name", "price", "attributes", "images")
# Sort field and direction (1 ascending) of each document-driven ordering.
DOCUMENT_SORT = {
    "newest": ("created_at", -1),
    "price": ("price", 1),
    "-price": ("price", -1),
    "name": ("name", 1),
}
TABLE = Product._meta.db_table
CATEGORY_TABLE = Category._meta.db_table
# The category named by slug, and its descendants (UNION, not UNION ALL: a cycle in bad data ends).
SUBTREE = f"""WITH RECURSIVE subtree(id, slug) AS (
    SELECT id, slug FROM {CATEGORY_TABLE} WHERE slug = %s
    UNION
    SELECT c.id, c.slug FROM {CATEGORY_TABLE} c JOIN subtree s ON c.parent_id = s.id
)"""
ONLY = f"WITH subtree(id, slug) AS (SELECT id, slug FROM {CATEGORY_TABLE} WHERE slug = %s)"


@dataclass
class Page:
    items: list[dict[str, Any]]
    next: Cursor | None
    previous: Cursor | None


@dataclass(frozen=True)
class Sql:
    """A statement for the routed read alias; the step receives ``fetchall()``'s rows."""

    statement: str
    params: list[Any]


@dataclass(frozen=True)
class Find:
    """A find on the products collection; the step receives the documents as a list."""

    filter: dict[str, Any]
    projection: dict[str, Any]
    sort: list[tuple[str, int]] | None = None
    limit: int = 0


@dataclass(frozen=True)
class Aggregate:
    """An aggregate on the products collection (one round trip: its result must fit in the
    first batch, as a ``$facet`` stage's single document does); the step receives a list."""

    pipeline: list[dict[str, Any]]


Steps = Generator[Sql | Find | Aggregate, Any, Any]


CENT = Decimal("0.01")
# IEEE 754-2008 decimal128, binary integer decimal encoding (the BSON Decimal128 layout).
_BID_EXPONENT_BIAS = 6176
_BID_COEFFICIENT_HIGH_MASK = (1 << 49) - 1


def price_text(value: Any) -> str | None:
    """Return a stored price as the API's decimal string (two places)."""
    if value is None:
        return None
    if isinstance(value, Decimal128):
        cents = _cents_text(value)
        if cents is not None:
            return cents
        number = value.to_decimal()
    else:
        number = Decimal(value)
    return str(number if number.as_tuple().exponent == -2 else number.quantize(CENT))


def price_cents(value: Any) -> int | None:
    """Return a stored price in cents (None for no price), reading a Decimal128 with two
    decimal places straight from its bits (see ``_cents_text``)."""
    if value is None:
        return None
    if isinstance(value, Decimal128):
        cents = _bid_cents(value)
        if cents is not None:
            return cents
        value = value.to_decimal()
    return int((Decimal(value) * 100).to_integral_value())


def _bid_cents(value: Decimal128) -> int | None:
    bid = value.bid
    high = int.from_bytes(bid[8:], "little")
    if (high >> 61) & 0b11 == 0b11:  # the second form (huge coefficients), infinities, NaNs
        return None
    if ((high >> 49) & 0x3FFF) - _BID_EXPONENT_BIAS != -2:
        return None
    coefficient = ((high & _BID_COEFFICIENT_HIGH_MASK) << 64) | int.from_bytes(bid[:8], "little")
    return -coefficient if high >> 63 else coefficient


def _cents_text(value: Decimal128) -> str | None:
    """Return the text of a Decimal128 stored with exactly two decimal places (how prices are
    written), read straight from its bits; None for anything else (the general path then).

    ``Decimal128.to_decimal`` is pure Python and was the largest single cost of a 100-item
    page (13 % of its samples under load); this is a few integer operations.
    """
    cents = _bid_cents(value)
    if cents is None:
        return None
    digits = str(abs(cents)).rjust(3, "0")
    return f"{'-' if cents < 0 else ''}{digits[:-2]}.{digits[-2:]}"


def run_steps(steps: Steps) -> Any:
    """Run ``steps`` on the blocking clients: one cursor on the routed read alias for every
    statement, the process's MongoClient for every find; return the steps' result."""
    collection = get_collection(Product)
    with connections[router.db_for_read(Product)].cursor() as db:
        try:
            request = next(steps)
            while True:
                if isinstance(request, Sql):
                    db.execute(request.statement, request.params)
                    result: Any = db.fetchall()
                elif isinstance(request, Aggregate):
                    result = list(collection.aggregate(request.pipeline))
                else:
                    cursor = collection.find(request.filter, request.projection, limit=request.limit)
                    result = list(cursor.sort(request.sort) if request.sort else cursor)
                request = steps.send(result)
        except StopIteration as done:
            return done.value


def product_listing(*, slug: str, query: ListingQuery, url_for: Callable[[int], str]) -> Page | None:
    """Return one page of the published products of the category ``slug`` (and, unless the
    query says otherwise, of its descendants); None when there is no such category."""
    return run_steps(listing_steps(slug=slug, query=query, url_for=url_for))


def product_detail(*, product_id: int, url_for: Callable[[int], str]) -> dict[str, Any] | None:
    """Return one published product with its description, or None (one SQL query, one find)."""
    return run_steps(detail_steps(product_id=product_id, url_for=url_for))


def listing_steps(*, slug: str, query: ListingQuery, url_for: Callable[[int], str]) -> Steps:
    """The listing's reads, as steps (see the module's docstring); returns the Page or None."""
    subtree = (SUBTREE if query.include_descendants else ONLY, slug)
    wanted = [name for name in DOCUMENT_FIELDS if name in query.fields]
    if query.document_driven:
        found = yield from _page_from_documents(subtree, query, wanted)
    else:
        found = yield from _page_from_sql(subtree, query, wanted)
    if found is None:
        return None
    rows, keys, has_more = found
    fields = query.fields
    items = [_item(row, fields, url_for) for row in rows]
    reverse = query.cursor is not None and query.cursor.reverse
    if reverse:
        items.reverse()
        keys.reverse()
    next_cursor = previous_cursor = None
    if keys:
        first, last = keys[0], keys[-1]
        if has_more if not reverse else True:
            next_cursor = Cursor(query.ordering, last[0], last[1])
        if has_more if reverse else query.cursor is not None:
            previous_cursor = Cursor(query.ordering, first[0], first[1], reverse=True)
    elif query.cursor is not None:  # past either end: offer the way back
        back = query.cursor
        previous_cursor = (
            Cursor(back.ordering, back.value, back.id, reverse=True) if not back.reverse else None
        )
        next_cursor = Cursor(back.ordering, back.value, back.id) if back.reverse else None
    return Page(items, next_cursor, previous_cursor)


def _item(row: dict[str, Any], fields: Iterable[str], url_for: Callable[[int], str]) -> dict:
    full = {
        "id": row["id"],
        "sku": row["sku"],
        "name": row.get("name"),
        "price": price_text(row.get("price")),
        "category": row["category"],
        "attributes": row.get("attributes") or {},
        "images": row.get("images") or [],
        "url": url_for(row["id"]),
    }
    if fields == LISTING_FIELDS:  # the usual request: every field, already in the API's order
        return full
    return {name: full[name] for name in fields}


def _page_from_sql(subtree: tuple[str, str], query: ListingQuery, wanted: list[str]) -> Steps:
    cursor = query.cursor
    descending = cursor is None or not cursor.reverse
    comparison, direction = ("<", "DESC") if descending else (">", "ASC")
    cte, slug = subtree
    params: list[Any] = [slug]
    after = ""
    if cursor is not None:
        after = f" AND (created_at, id) {comparison} (%s, %s)"
        params += [cursor.value, cursor.id]
    # Up to a page from each category of the subtree, newest first on its index, then the page.
    sql = (
        f"{cte} SELECT p.id, p.sku, s.slug, p.created_at FROM subtree s CROSS JOIN LATERAL ("
        f"SELECT id, sku, created_at FROM {TABLE} WHERE category_id = s.id AND is_published{after} "
        f"ORDER BY created_at {direction}, id {direction} LIMIT %s) p "
        f"ORDER BY p.created_at {direction}, p.id {direction} LIMIT %s"
    )
    params += [query.page_size + 1, query.page_size + 1]
    fetched = yield Sql(sql, params)
    if not fetched:
        # Tell an empty category from a missing one (asked only when a page comes back empty).
        exists = yield Sql(f"SELECT 1 FROM {CATEGORY_TABLE} WHERE slug = %s", [slug])
        if not exists:
            return None
    has_more = len(fetched) > query.page_size
    fetched = fetched[: query.page_size]
    documents: dict[int, dict[str, Any]] = {}
    if fetched:
        projection = dict.fromkeys(wanted, 1) if wanted else {"_id": 1}
        found = yield Find({"_id": {"$in": [r[0] for r in fetched]}}, projection)
        documents = {doc["_id"]: doc for doc in found}
    rows, keys = [], []
    for id_, sku, category, created_at in fetched:
        keys.append((created_at, id_))  # every row's key: a page may end on a left-out row
        doc = documents.get(id_)
        if doc is None:
            log.warning("product %s has no document; left out of the listing (run reconcile_documents)", id_)
            continue
        rows.append({**doc, "id": id_, "sku": sku, "category": category})
    return rows, keys, has_more


class Filtered(Protocol):
    """What the listing and the facets filter on (``ListingQuery`` and ``FacetQuery``)."""

    min_price: Decimal | None
    max_price: Decimal | None
    attributes: tuple[tuple[str, str], ...]
    attribute_ranges: tuple[AttributeRange, ...]


def price_condition(query: Filtered) -> dict[str, Any] | None:
    """Return the MongoDB condition of the query's price range, or None without one."""
    price: dict[str, Any] = {}
    if query.min_price is not None:
        price["$gte"] = Decimal128(query.min_price)
    if query.max_price is not None:
        price["$lte"] = Decimal128(query.max_price)
    return {"price": price} if price else None


def attribute_conditions(query: Filtered) -> dict[str, list[dict[str, Any]]]:
    """Return each filtered attribute key's MongoDB conditions (all must hold).

    The values given for one key are alternatives: one ``$in`` of all their literal spellings,
    which on a list-valued attribute matches when any element does. A range with both ends
    must hold for one element (``$elemMatch``) of a list, or for a value that is not a list
    (``KEY.0`` exists only on a non-empty list, attributes holding no objects): a plain
    ``$gte``/``$lte`` pair would accept a list with one element above the range and another
    below it."""
    conditions: dict[str, list[dict[str, Any]]] = {}
    for key, value in query.attributes:
        conditions.setdefault(key, []).extend(attribute_candidates(value))
    by_key = {key: [{f"attributes.{key}": {"$in": values}}] for key, values in conditions.items()}
    for key, low, high in query.attribute_ranges:
        bounds = {op: bound for op, bound in (("$gte", low), ("$lte", high)) if bound is not None}
        path = f"attributes.{key}"
        if len(bounds) == 1:
            condition: dict[str, Any] = {path: bounds}
        else:
            one_element = {path: {"$elemMatch": bounds}}
            condition = {"$or": [one_element, {path: bounds, f"{path}.0": {"$exists": False}}]}
        by_key.setdefault(key, []).append(condition)
    return by_key


def subtree_condition(category_ids: list[int]) -> dict[str, Any]:
    """Return the condition every listing and facet starts with: published, in the subtree."""
    return {"category_id": {"$in": category_ids}, "is_published": True}


def document_filter(category_ids: list[int], query: ListingQuery) -> dict[str, Any]:
    """Return the MongoDB filter of ``query``: operators are ours, every value a literal."""
    conditions: list[dict[str, Any]] = [{"category_id": {"$in": category_ids}}, {"is_published": True}]
    price = price_condition(query)
    if price is not None:
        conditions.append(price)
    for key_conditions in attribute_conditions(query).values():
        conditions.extend(key_conditions)
    cursor = query.cursor
    if cursor is not None:
        field, direction = DOCUMENT_SORT[query.ordering]
        if cursor.reverse:
            direction = -direction
        op = "$gt" if direction == 1 else "$lt"
        value = Decimal128(cursor.value) if field == "price" else cursor.value
        conditions.append({"$or": [{field: {op: value}}, {field: value, "_id": {op: cursor.id}}]})
    return {"$and": conditions}


def _page_from_documents(subtree: tuple[str, str], query: ListingQuery, wanted: list[str]) -> Steps:
    cte, slug = subtree
    slugs: dict[int, str] = dict((yield Sql(f"{cte} SELECT id, slug FROM subtree", [slug])))
    if not slugs:
        return None
    category_ids = list(slugs)
    field, direction = DOCUMENT_SORT[query.ordering]
    if query.cursor is not None and query.cursor.reverse:
        direction = -direction
    projection = {**dict.fromkeys(wanted, 1), "category_id": 1, field: 1}
    sort = [(field, direction), ("_id", direction)]
    found = yield Find(document_filter(category_ids, query), projection, sort, query.page_size + 1)
    has_more = len(found) > query.page_size
    found = found[: query.page_size]
    rows_by_id: dict[int, tuple[str, int]] = {}
    if found:
        # The row decides: a product moved or unpublished since its document was written
        # is left out, not shown under the category its stale document names.
        fill = yield Sql(
            f"SELECT id, sku, category_id FROM {TABLE} "
            "WHERE is_published AND id = ANY(%s) AND category_id = ANY(%s)",
            [[doc["_id"] for doc in found], category_ids],
        )
        rows_by_id = {id_: (sku, category_id) for id_, sku, category_id in fill}
    rows, keys = [], []
    for doc in found:
        row = rows_by_id.get(doc["_id"])
        key_value = doc.get(field)
        keys.append((key_value.to_decimal() if isinstance(key_value, Decimal128) else key_value, doc["_id"]))
        if row is None:  # unpublished or deleted since the document was written; the relay catches up
            continue
        rows.append({**doc, "id": doc["_id"], "sku": row[0], "category": slugs[row[1]]})
    return rows, keys, has_more


def detail_steps(*, product_id: int, url_for: Callable[[int], str]) -> Steps:
    """The product detail's reads, as steps; returns the body or None."""
    if not 0 < product_id < 2**63:
        return None
    found = yield Sql(
        f"SELECT p.id, p.sku, c.slug FROM {TABLE} p JOIN {CATEGORY_TABLE} c ON c.id = p.category_id "
        "WHERE p.id = %s AND p.is_published",
        [product_id],
    )
    if not found:
        return None
    row = found[0]
    documents = yield Find(
        {"_id": product_id}, {"description": 1, **dict.fromkeys(DOCUMENT_FIELDS, 1)}, limit=1
    )
    if not documents:
        log.warning("product %s has no document (run reconcile_documents)", product_id)
        return None
    doc = documents[0]
    return {
        "id": row[0],
        "sku": row[1],
        "name": doc.get("name"),
        "description": doc.get("description", ""),
        "price": price_text(doc.get("price")),
        "category": row[2],
        "attributes": doc.get("attributes") or {},
        "images": doc.get("images") or [],
        "url": url_for(row[0]),
    }
