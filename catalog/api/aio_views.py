"""The listing, the facets and the product detail as async views (ASGI): the same URLs, responses, cache
entries, query budget, ETags and errors as ``catalog.api.views``, with every wait awaited.

Only JSON GETs are answered here; the browsable API and other methods go to the DRF views,
which run in a worker thread (DRF is sync-only). Errors take DRF's handler, so a 400, 404 or
503 has the same body and headers on both paths.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers

from catalog import aio_selectors
from catalog.api.cache_hits import VARY, response_of, varying, wants_json
from catalog.api.params import parse_facet_query, parse_listing_query
from catalog.api.views import (
    RENDERER,
    CategoryFacetsView,
    CategoryProductsView,
    ProductDetailView,
    cannot_exist,
    no_category,
    no_product,
    page_links,
    product_url_builder,
)
from catalog.cache_keys import (
    category_generation_key,
    facets_key,
    listing_key,
    product_generation_key,
    product_key,
)
from catalog_service.api import throttling
from catalog_service.api.exceptions import exception_handler
from catalog_service.api.origin import link_base
from catalog_service.asgi_handler import mark_sync_view
from catalog_service.caching import stampede
from catalog_service.caching.entries import Built


def _in_thread(view: Callable[..., HttpResponseBase]) -> Callable[..., Awaitable[HttpResponseBase]]:
    """A DRF view for what the async views leave to it (other methods, the browsable API), run
    in the sync thread; the ASGI handler then closes the response there too."""
    adapted = sync_to_async(view)

    async def run(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        mark_sync_view(request)
        return await adapted(request, *args, **kwargs)

    return run


_drf_listing = _in_thread(CategoryProductsView.as_view())
_drf_detail = _in_thread(ProductDetailView.as_view())
_drf_facets = _in_thread(CategoryFacetsView.as_view())


async def category_products(request: HttpRequest, slug: str) -> HttpResponseBase:
    """The published products of a category (see ``CategoryProductsView``)."""
    if request.method != "GET" or not wants_json(request):
        return varying(await _drf_listing(request, slug=slug))

    async def answer() -> HttpResponseBase:
        refused = cannot_exist(slug=slug)
        if refused is not None:  # before the throttle: a 404 that costs no I/O
            raise refused
        await throttling.acheck(request)
        query = parse_listing_query(request.GET)

        async def build() -> Built:
            page = await aio_selectors.product_listing(
                slug=slug, query=query, url_for=product_url_builder(request)
            )
            if page is None:
                raise no_category(slug)
            return Built(RENDERER.render({**page_links(request, query, page), "results": page.items}))

        key = listing_key(base_url=link_base(request), slug=slug, query=query)
        return await _cached(key, category_generation_key(slug), settings.CACHE_TTLS["listing"], build)

    return await _answering_errors(request, answer)


async def category_facets(request: HttpRequest, slug: str) -> HttpResponseBase:
    """Counts for a category page's filters (see ``CategoryFacetsView``)."""
    if request.method != "GET" or not wants_json(request):
        return varying(await _drf_facets(request, slug=slug))

    async def answer() -> HttpResponseBase:
        refused = cannot_exist(slug=slug)
        if refused is not None:  # as in the listing
            raise refused
        await throttling.acheck(request)
        query = parse_facet_query(request.GET)

        async def build() -> Built:
            facets = await aio_selectors.product_facets(slug=slug, query=query)
            if facets is None:
                raise no_category(slug)
            return Built(RENDERER.render(facets))

        key = facets_key(slug=slug, query=query)
        return await _cached(key, category_generation_key(slug), settings.CACHE_TTLS["listing"], build)

    return await _answering_errors(request, answer)


async def product_detail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """One published product (see ``ProductDetailView``)."""
    if request.method != "GET" or not wants_json(request):
        return varying(await _drf_detail(request, pk=pk))

    async def build() -> Built:
        product = await aio_selectors.product_detail(product_id=pk, url_for=product_url_builder(request))
        if product is None:
            raise no_product(pk)
        return Built(RENDERER.render(product))

    async def answer() -> HttpResponseBase:
        refused = cannot_exist(pk=pk)
        if refused is not None:  # as in the listing
            raise refused
        await throttling.acheck(request)
        key = product_key(base_url=link_base(request), product_id=pk)
        return await _cached(key, product_generation_key(pk), settings.CACHE_TTLS["product"], build)

    return await _answering_errors(request, answer)


async def _cached(
    key: str, generation_key: str, ttl: float, build: Callable[[], Awaitable[Built]]
) -> HttpResponse:
    peeked = await stampede.apeek(key, generation_key, ttl)
    if peeked.served is not None:
        return response_of(peeked.served)
    return response_of(await stampede.acached(key, generation_key, ttl, build, peeked))


async def _answering_errors(
    request: HttpRequest, answer: Callable[[], Awaitable[HttpResponseBase]]
) -> HttpResponseBase:
    try:
        return await answer()
    except Exception as exc:
        handled = exception_handler(exc, {"request": request, "view": None})
        if handled is None:
            raise
        return _rendered(handled)


def _rendered(handled: Any) -> HttpResponse:
    """Return DRF's error Response as a plain JSON response (same status, body and headers)."""
    response = HttpResponse(RENDERER.render(handled.data), status=handled.status_code,
                            content_type="application/json")  # fmt: skip
    for header, value in handled.items():
        if header.lower() != "content-type":
            response[header] = value
    patch_vary_headers(response, VARY)  # as DRF's own responses, which negotiate
    return response
