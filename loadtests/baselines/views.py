"""Baseline implementations of the category listing, to measure ours against.

- ceiling: a constant 50-item JSON page; the cost of Django, the middleware and gunicorn alone.
- naive: the relational listing as often written first: a lazy foreign key and one document
  fetch per row (1 + 2N round trips).
- seed-style: the public hybrid-model write-up: rows in one query, then one find_one per
  instance (1 + N round trips).
- ours-uncached: the real listing (same selectors, renderer and JSON), without the cache.
The real endpoint, with its cache, is /api/v1/categories/{slug}/products/.
"""

from __future__ import annotations

import orjson
from django.http import Http404, HttpRequest, HttpResponse

from catalog.api.params import parse_listing_query
from catalog.api.views import page_links, product_url_builder
from catalog.models import Product
from catalog.selectors import price_text, product_listing
from catalog_service.documents.client import get_collection
from categories.selectors import category_tree

CEILING_BODY = orjson.dumps({
    "next": None,
    "previous": None,
    "results": [
        {"id": i, "sku": f"SKU-{i:08d}", "name": f"Product {i}", "price": "19.99", "category": "bench",
         "attributes": {"color": "red", "in_stock": True}, "images": [f"https://img.example.com/{i}.jpg"],
         "url": f"http://127.0.0.1/api/v1/products/{i}/"}
        for i in range(50)
    ],
})  # fmt: skip


def _json(data: object) -> HttpResponse:
    return HttpResponse(orjson.dumps(data), content_type="application/json")


def _page_size(request: HttpRequest) -> int:
    try:
        return max(1, min(100, int(request.GET.get("page_size", 24))))
    except ValueError:
        return 24


def ceiling(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse(CEILING_BODY, content_type="application/json")


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
    query = parse_listing_query(request.GET)
    tree = category_tree()
    category = tree.by_slug.get(slug)
    if category is None:
        raise Http404
    page = product_listing(tree=tree, category=category, query=query, url_for=product_url_builder(request))
    from rest_framework.request import Request

    return _json({**page_links(Request(request), query, page), "results": page.items})
