"""The listing, detail and facet reads on the asyncio clients (the ASGI path).

The reads themselves are ``catalog.selectors``' and ``catalog.facets``' steps; this module
only runs their I/O:
statements through ``catalog_service.db.aio`` (routed, with failover), finds through the
loop's AsyncMongoClient. Nothing here blocks the event loop.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from catalog.facets import facet_steps
from catalog.listing import FacetQuery, ListingQuery
from catalog.models import Product
from catalog.selectors import Aggregate, Page, Sql, Steps, detail_steps, listing_steps
from catalog_service.db import aio
from catalog_service.documents.aio_client import get_async_collection


async def run_steps(steps: Steps) -> Any:
    """Run ``steps`` on the asyncio clients; return the steps' result."""
    collection = get_async_collection(Product)
    try:
        request = next(steps)
        while True:
            if isinstance(request, Sql):
                result: Any = await aio.fetchall(request.statement, request.params)
            elif isinstance(request, Aggregate):
                result = await (await collection.aggregate(request.pipeline)).to_list()
            else:
                cursor = collection.find(request.filter, request.projection, limit=request.limit)
                result = await (cursor.sort(request.sort) if request.sort else cursor).to_list()
            request = steps.send(result)
    except StopIteration as done:
        return done.value


async def product_listing(*, slug: str, query: ListingQuery, url_for: Callable[[int], str]) -> Page | None:
    """As ``catalog.selectors.product_listing``, awaited."""
    return await run_steps(listing_steps(slug=slug, query=query, url_for=url_for))


async def product_detail(*, product_id: int, url_for: Callable[[int], str]) -> dict[str, Any] | None:
    """As ``catalog.selectors.product_detail``, awaited."""
    return await run_steps(detail_steps(product_id=product_id, url_for=url_for))


async def product_facets(*, slug: str, query: FacetQuery) -> dict[str, Any] | None:
    """As ``catalog.facets.product_facets``, awaited."""
    return await run_steps(facet_steps(slug=slug, query=query))
