"""Baseline implementations of the category listing, to measure ours against.

- ceiling: a constant 50-item JSON page; under the benchmark's WSGI application
  (``loadtests.wsgi``) it is answered before Django, the cost of gunicorn and the load
  generator alone.
- constant: a real page of the requested size, built once per worker and then served from the
  process's memory (the cached listing's physical limit: the same bytes, no cache to read).
- limit: the same page as ours, built by hand: one SQL query through a raw cursor, one
  MongoDB find with $in and a projection, orjson (the uncached listing's physical limit).
- naive: the relational listing as often written first: a lazy foreign key and one document
  fetch per row (1 + 2N round trips).
- seed-style: the public hybrid-model write-up: rows in one query, then one find_one per
  instance (1 + N round trips).
- ours-uncached: the real listing (same selectors, renderer and JSON), without the cache.
- limit_async and ours_uncached_async: limit and ours-uncached on the asyncio clients (ASGI).
The real endpoint, with its cache, is /api/v1/categories/{slug}/products/.
"""

from __future__ import annotations

import functools

import orjson
from bson.decimal128 import Decimal128
from django.db import connections, router
from django.http import Http404, HttpRequest, HttpResponse
from rest_framework.exceptions import NotFound

from catalog import aio_selectors
from catalog.api.params import parse_listing_query
from catalog.api.views import listing_body, page_links, product_url_builder
from catalog.models import Product
from catalog.selectors import price_text
from catalog_service.db import aio
from catalog_service.documents.aio_client import get_async_collection
from catalog_service.documents.client import get_collection
from categories.models import Category
from categories.selectors import category_tree


def _constant_item(i: int) -> dict:
    return {"id": i, "sku": f"SKU-{i:08d}", "name": f"Product {i}", "price": "19.99", "category": "bench",
            "attributes": {"color": "red", "in_stock": True}, "images": [f"https://img.example.com/{i}.jpg"],
            "url": f"http://127.0.0.1/api/v1/products/{i}/"}  # fmt: skip


CEILING_ITEMS = 50


@functools.cache
def constant_body(size: int) -> bytes:
    return orjson.dumps({"next": None, "previous": None, "results": [_constant_item(i) for i in range(size)]})


def _json(data: object) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), content_type="application/json")


def _page_size(request: HttpRequest) -> int:
    try:
        return max(1, min(100, int(request.GET.get("page_size", 24))))
    except ValueError:
        return 24


def ceiling(request: HttpRequest, slug: str) -> HttpResponse:
    """The ceiling through Django: what ``loadtests.wsgi`` answers by itself (ASGI, tests)."""
    return HttpResponse(constant_body(CEILING_ITEMS), content_type="application/json")


# page size -> the body of the first real page of that size this worker built
_held_pages: dict[int, bytes] = {}


def constant(request: HttpRequest, slug: str) -> HttpResponse:
    """The same bytes a cache hit sends (a real page of this size, whichever category asked
    first), without reading any cache: a synthetic page of shorter items would be cheaper to
    send and to read, and flatter the baseline."""
    size = _page_size(request)
    body = _held_pages.get(size)
    if body is None:
        query = parse_listing_query(request.GET)
        try:
            body = _held_pages.setdefault(size, orjson.dumps(listing_body(request, slug, query)))
        except NotFound as exc:
            raise Http404 from exc
    return HttpResponse(body, content_type="application/json")


# The page's rows, with the category and its descendants resolved in the same statement: up to
# a page from each category's index, then the page (the plan ours uses, written out by hand).
LIMIT_SQL = f"""
WITH RECURSIVE subtree(id, slug) AS (
    SELECT id, slug FROM {Category._meta.db_table} WHERE slug = %s
    UNION
    SELECT c.id, c.slug FROM {Category._meta.db_table} c JOIN subtree s ON c.parent_id = s.id
)
SELECT p.id, p.sku, s.slug, p.created_at FROM subtree s CROSS JOIN LATERAL (
    SELECT id, sku, created_at FROM {Product._meta.db_table} WHERE category_id = s.id AND is_published
    ORDER BY created_at DESC, id DESC LIMIT %s
) p ORDER BY p.created_at DESC, p.id DESC LIMIT %s
"""
LIMIT_PROJECTION = {"name": 1, "price": 1, "attributes": 1, "images": 1}


def limit(request: HttpRequest, slug: str) -> HttpResponse:
    """The uncached listing's first page with nothing but the work it needs."""
    size = _page_size(request)
    with connections[router.db_for_read(Product)].cursor() as db:
        db.execute(LIMIT_SQL, [slug, size + 1, size + 1])
        rows = db.fetchall()
    ids = [r[0] for r in rows[:size]]
    docs = list(get_collection(Product).find({"_id": {"$in": ids}}, LIMIT_PROJECTION))
    return _limit_page(request, size, rows, docs)


async def limit_async(request: HttpRequest, slug: str) -> HttpResponse:
    """As ``limit``, on the asyncio clients (the ASGI path): the same statement and find,
    awaited, and the same page built from them."""
    size = _page_size(request)
    rows = await aio.fetchall(LIMIT_SQL, [slug, size + 1, size + 1])
    ids = [r[0] for r in rows[:size]]
    docs = await get_async_collection(Product).find({"_id": {"$in": ids}}, LIMIT_PROJECTION).to_list()
    return _limit_page(request, size, rows, docs)


def _limit_page(request: HttpRequest, size: int, rows: list[tuple], docs: list[dict]) -> HttpResponse:
    """The page of ``limit`` and ``limit_async`` from the statement's rows and the found documents."""
    page = rows[:size]
    by_id = {d["_id"]: d for d in docs}
    base = f"{request.scheme}://{request.get_host()}"
    results = []
    for id_, sku, category, _created in page:
        doc = by_id.get(id_)
        if doc is None:
            continue
        price = doc.get("price")
        results.append({
            "id": id_, "sku": sku, "name": doc.get("name"),
            "price": str(price) if isinstance(price, Decimal128) else price, "category": category,
            "attributes": doc.get("attributes") or {}, "images": doc.get("images") or [],
            "url": f"{base}/api/v1/products/{id_}/",
        })  # fmt: skip
    next_url = None
    if len(rows) > size:
        last = page[-1]
        next_url = f"{base}{request.path}?cursor={last[3].isoformat()}_{last[0]}"
    return HttpResponse(orjson.dumps({"next": next_url, "previous": None, "results": results}),
                        content_type="application/json")  # fmt: skip


def _item(request: HttpRequest, product: Product, doc: dict) -> dict:
    return {
        "id": product.pk,
        "sku": product.sku,
        "name": doc.get("name"),
        "price": price_text(doc.get("price")),
        "category": product.category.slug,
        "attributes": doc.get("attributes") or {},
        "images": doc.get("images") or [],
        "url": request.build_absolute_uri(f"/api/v1/products/{product.pk}/"),
    }


def _category_ids(slug: str) -> list[int]:
    """The category and its descendants, so every variant lists the same products."""
    tree = category_tree()
    node = tree.by_slug.get(slug)
    if node is None:
        raise Http404
    return tree.descendant_ids(node)


def _per_row_listing(request: HttpRequest, slug: str, *, join_category: bool) -> HttpResponse:
    rows = Product.objects.without_documents().filter(category_id__in=_category_ids(slug), is_published=True)
    if join_category:
        rows = rows.select_related("category")
    rows = rows.order_by("-created_at", "-id")[: _page_size(request)]
    collection = get_collection(Product)
    results = [_item(request, product, collection.find_one({"_id": product.pk}) or {}) for product in rows]
    return _json({"next": None, "previous": None, "results": results})


def naive(request: HttpRequest, slug: str) -> HttpResponse:
    """A lazy foreign key (one more query per row) and one find_one per row."""
    return _per_row_listing(request, slug, join_category=False)


def seed_style(request: HttpRequest, slug: str) -> HttpResponse:
    """The write-up loads each instance's document in __init__: one find_one per row."""
    return _per_row_listing(request, slug, join_category=True)


def ours_uncached(request: HttpRequest, slug: str) -> HttpResponse:
    """The real listing's body (the endpoint's own function), without the cache and without
    DRF's dispatch (the cached endpoint serves its hits before DRF too)."""
    query = parse_listing_query(request.GET)
    try:
        return _json(listing_body(request, slug, query))
    except NotFound as exc:
        raise Http404 from exc


async def ours_uncached_async(request: HttpRequest, slug: str) -> HttpResponse:
    """The async listing (ASGI), without the cache: the async selectors, the same body."""
    query = parse_listing_query(request.GET)
    page = await aio_selectors.product_listing(slug=slug, query=query, url_for=product_url_builder(request))
    if page is None:
        raise Http404
    return _json({**page_links(request, query, page), "results": page.items})
