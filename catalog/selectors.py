"""Reads of products for the API: one SQL query and one MongoDB query per page.

A page is driven by the store that can answer its filter and ordering on an index: the
newest-first listing without document filters comes from SQL (the partial index on
category, created_at, id), and MongoDB fills in the page's documents; a price or attribute
filter, or a price or name ordering, comes from MongoDB (indexes starting with the category
id), and SQL fills in the rows. Results are plain dicts, ready to render: no model instances
and no per-field serializer work on the hot path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128
from django.db import connections, router

from catalog.api.cursors import Cursor
from catalog.api.params import ListingQuery, attribute_candidates
from catalog.models import Product
from catalog_service.documents.client import get_collection
from categories.selectors import CategoryTree, Node

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


@dataclass
class Page:
    items: list[dict[str, Any]]
    next: Cursor | None
    previous: Cursor | None


def price_text(value: Any) -> str | None:
    """Return a stored price as the API's decimal string (two places)."""
    if value is None:
        return None
    number = value.to_decimal() if isinstance(value, Decimal128) else Decimal(value)
    return str(number.quantize(Decimal("0.01")))


def _cursor_sql() -> Any:
    return connections[router.db_for_read(Product)].cursor()


def product_listing(
    *, tree: CategoryTree, category: Node, query: ListingQuery, url_for: Callable[[int], str]
) -> Page:
    """Return one page of the published products of ``category`` (and its descendants)."""
    category_ids = tree.descendant_ids(category) if query.include_descendants else [category.id]
    wanted = [name for name in DOCUMENT_FIELDS if name in query.fields]
    if query.document_driven:
        rows, keys, has_more = _page_from_documents(category_ids, query, wanted)
    else:
        rows, keys, has_more = _page_from_sql(category_ids, query, wanted)
    items = [_item(row, tree, query.fields, url_for) for row in rows]
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


def _item(
    row: dict[str, Any], tree: CategoryTree, fields: Iterable[str], url_for: Callable[[int], str]
) -> dict:
    node = tree.nodes.get(row["category_id"])
    full = {
        "id": row["id"],
        "sku": row["sku"],
        "name": row.get("name"),
        "price": price_text(row.get("price")),
        "category": node.slug if node else None,
        "attributes": row.get("attributes") or {},
        "images": row.get("images") or [],
        "url": url_for(row["id"]),
    }
    return {name: full[name] for name in fields}


def _page_from_sql(
    category_ids: list[int], query: ListingQuery, wanted: list[str]
) -> tuple[list[dict[str, Any]], list[tuple[Any, int]], bool]:
    cursor = query.cursor
    descending = cursor is None or not cursor.reverse
    comparison, direction = ("<", "DESC") if descending else (">", "ASC")
    sql = f"SELECT id, sku, category_id, created_at FROM {TABLE} WHERE is_published AND category_id = ANY(%s)"
    params: list[Any] = [category_ids]
    if cursor is not None:
        sql += f" AND (created_at, id) {comparison} (%s, %s)"
        params += [cursor.value, cursor.id]
    sql += f" ORDER BY created_at {direction}, id {direction} LIMIT %s"
    params.append(query.page_size + 1)
    with _cursor_sql() as db:
        db.execute(sql, params)
        fetched = db.fetchall()
    has_more = len(fetched) > query.page_size
    fetched = fetched[: query.page_size]
    documents: dict[int, dict[str, Any]] = {}
    if fetched:
        projection = dict.fromkeys(wanted, 1) if wanted else {"_id": 1}
        documents = {
            doc["_id"]: doc
            for doc in get_collection(Product).find({"_id": {"$in": [r[0] for r in fetched]}}, projection)
        }
    rows, keys = [], []
    for id_, sku, category_id, created_at in fetched:
        keys.append((created_at, id_))  # every row's key: a page may end on a left-out row
        doc = documents.get(id_)
        if doc is None:
            log.warning("product %s has no document; left out of the listing (run reconcile_documents)", id_)
            continue
        rows.append({**doc, "id": id_, "sku": sku, "category_id": category_id})
    return rows, keys, has_more


def document_filter(category_ids: list[int], query: ListingQuery) -> dict[str, Any]:
    """Return the MongoDB filter of ``query``: operators are ours, every value a literal."""
    conditions: list[dict[str, Any]] = [{"category_id": {"$in": category_ids}}, {"is_published": True}]
    price: dict[str, Any] = {}
    if query.min_price is not None:
        price["$gte"] = Decimal128(query.min_price)
    if query.max_price is not None:
        price["$lte"] = Decimal128(query.max_price)
    if price:
        conditions.append({"price": price})
    for key, value in query.attributes:
        conditions.append({f"attributes.{key}": {"$in": attribute_candidates(value)}})
    cursor = query.cursor
    if cursor is not None:
        field, direction = DOCUMENT_SORT[query.ordering]
        if cursor.reverse:
            direction = -direction
        op = "$gt" if direction == 1 else "$lt"
        value = Decimal128(cursor.value) if field == "price" else cursor.value
        conditions.append({"$or": [{field: {op: value}}, {field: value, "_id": {op: cursor.id}}]})
    return {"$and": conditions}


def _page_from_documents(
    category_ids: list[int], query: ListingQuery, wanted: list[str]
) -> tuple[list[dict[str, Any]], list[tuple[Any, int]], bool]:
    field, direction = DOCUMENT_SORT[query.ordering]
    if query.cursor is not None and query.cursor.reverse:
        direction = -direction
    projection = {**dict.fromkeys(wanted, 1), "category_id": 1, field: 1}
    found = list(
        get_collection(Product)
        .find(document_filter(category_ids, query), projection)
        .sort([(field, direction), ("_id", direction)])
        .limit(query.page_size + 1)
    )
    has_more = len(found) > query.page_size
    found = found[: query.page_size]
    rows_by_id: dict[int, tuple[str, int]] = {}
    if found:
        with _cursor_sql() as db:
            # The row decides: a product moved or unpublished since its document was written
            # is left out, not shown under the category its stale document names.
            db.execute(
                f"SELECT id, sku, category_id FROM {TABLE} "
                "WHERE is_published AND id = ANY(%s) AND category_id = ANY(%s)",
                [[doc["_id"] for doc in found], category_ids],
            )
            rows_by_id = {id_: (sku, category_id) for id_, sku, category_id in db.fetchall()}
    rows, keys = [], []
    for doc in found:
        row = rows_by_id.get(doc["_id"])
        key_value = doc.get(field)
        keys.append((key_value.to_decimal() if isinstance(key_value, Decimal128) else key_value, doc["_id"]))
        if row is None:  # unpublished or deleted since the document was written; the relay catches up
            continue
        rows.append({**doc, "id": doc["_id"], "sku": row[0], "category_id": row[1]})
    return rows, keys, has_more


def product_detail(*, product_id: int, url_for: Callable[[int], str]) -> dict[str, Any] | None:
    """Return one published product with its description, or None (one SQL query, one find)."""
    if not 0 < product_id < 2**63:
        return None
    category_table = Product._meta.get_field("category").related_model._meta.db_table
    with _cursor_sql() as db:
        db.execute(
            f"SELECT p.id, p.sku, c.slug FROM {TABLE} p JOIN {category_table} c ON c.id = p.category_id "
            "WHERE p.id = %s AND p.is_published",
            [product_id],
        )
        row = db.fetchone()
    if row is None:
        return None
    doc = get_collection(Product).find_one(
        {"_id": product_id}, {"description": 1, **dict.fromkeys(DOCUMENT_FIELDS, 1)}
    )
    if doc is None:
        log.warning("product %s has no document (run reconcile_documents)", product_id)
        return None
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
