"""Product endpoints: thin views over ``catalog.selectors``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.urls import get_script_prefix, reverse
from django.utils.http import urlencode
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog import cursors
from catalog.api import schema
from catalog.api.cache_hits import response_of
from catalog.api.params import parse_facet_query, parse_listing_query
from catalog.cache_keys import (
    category_generation_key,
    facets_key,
    listing_key,
    product_generation_key,
    product_key,
)
from catalog.facets import product_facets
from catalog.listing import ListingQuery
from catalog.selectors import Page, product_detail, product_listing
from catalog_service.api.origin import absolute_link, link_base, public_origin
from catalog_service.api.renderers import ORJSONRenderer
from catalog_service.api.schema import DETAIL_ERROR, VALIDATION_ERROR
from catalog_service.caching.entries import Built, Served
from catalog_service.caching.stampede import cached
from categories.models import SLUG_MAX_LENGTH

RENDERER = ORJSONRenderer()
UNAVAILABLE = OpenApiResponse(DETAIL_ERROR, description="MongoDB or the database did not answer.")


@functools.lru_cache(maxsize=8)
def _product_path_prefix(script_prefix: str, urlconf: str | None) -> str:
    return reverse("api:product-detail", kwargs={"pk": 0}, urlconf=urlconf)[: -len("0/")]


def product_url_builder(request: HttpRequest):  # noqa: ANN201 - a closure
    """Return id -> the product's absolute URL (the path is reversed once per URL configuration,
    not once per request)."""
    path = _product_path_prefix(
        get_script_prefix(), getattr(request, "urlconf", None) or settings.ROOT_URLCONF
    )
    prefix = absolute_link(request, path)
    return lambda pk: f"{prefix}{pk}/"


def page_links(request: HttpRequest, query: ListingQuery, page: Page) -> dict[str, str | None]:
    """Return the absolute next and previous URLs of ``page`` (their cursors signed)."""
    base = public_origin(request) + request.path  # the path starts with the script prefix
    params = query.link_params()

    def link(cursor: cursors.Cursor | None) -> str | None:
        if cursor is None:
            return None
        return f"{base}?{urlencode([*params, ('cursor', cursors.encode(cursor))])}"

    return {"next": link(page.next), "previous": link(page.previous)}


def no_category(slug: str) -> NotFound:
    """The 404 of an unknown category."""
    return NotFound(f"No category with slug {slug!r}.")


def no_product(pk: int) -> NotFound:
    """The 404 of an unknown or unpublished product."""
    return NotFound(f"No published product with id {pk}.")


def cannot_exist(*, slug: str | None = None, pk: int | None = None) -> NotFound | None:
    """The 404 of a slug longer than a category's, or an id outside a bigint: answered before
    any I/O (throttle, cache, database), since nothing could be found."""
    if slug is not None and len(slug) > SLUG_MAX_LENGTH:
        return no_category(slug[:SLUG_MAX_LENGTH] + "...")
    if pk is not None and not 0 < pk < 2**63:
        return no_product(pk)
    return None


def listing_body(request: HttpRequest, slug: str, query: ListingQuery) -> dict[str, Any]:
    """Return the listing page's JSON-ready body; raise NotFound for an unknown category."""
    page = product_listing(slug=slug, query=query, url_for=product_url_builder(request))
    if page is None:
        raise no_category(slug)
    return {**page_links(request, query, page), "results": page.items}


def cached_json(
    request: Request, key: str, generation_key: str, ttl: float, body: Callable[[], dict[str, Any]]
) -> HttpResponseBase:
    """Return ``body()`` as JSON from the shared cache (with its ETag and X-Cache), or built
    afresh when the client negotiated another format (the browsable API)."""
    if getattr(request.accepted_renderer, "format", None) != "json":
        return Response(body())
    first_read = getattr(request, "cache_peek", None)  # set by catalog.api.cache_hits on a miss
    served: Served = cached(key, generation_key, ttl, lambda: Built(RENDERER.render(body())), first_read)
    return response_of(served)


class CategoryProductsView(APIView):
    """The published products of a category and, by default, of its descendants."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        refused = cannot_exist(slug=kwargs["slug"])
        if refused is not None:  # before DRF's throttle: a 404 that costs no I/O
            raise refused
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="category_products",
        parameters=schema.LISTING_PARAMETERS,
        responses={
            200: schema.ProductListPageSerializer,
            400: OpenApiResponse(VALIDATION_ERROR, description="A parameter is invalid; it is named."),
            404: OpenApiResponse(DETAIL_ERROR, description="No such category."),
            503: UNAVAILABLE,
        },
    )
    def get(self, request: Request, slug: str) -> HttpResponseBase:
        query = parse_listing_query(request.query_params)  # refused before any cache or database work

        def body() -> dict[str, Any]:
            return listing_body(request, slug, query)

        return cached_json(
            request,
            listing_key(base_url=link_base(request), slug=slug, query=query),
            category_generation_key(slug),
            settings.CACHE_TTLS["listing"],
            body,
        )


class CategoryFacetsView(APIView):
    """Counts for a category page's filters (disjunctive: see ``catalog.facets``), cached with
    its listing under the category's generation."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        refused = cannot_exist(slug=kwargs["slug"])
        if refused is not None:  # as in CategoryProductsView
            raise refused
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="category_facets",
        parameters=schema.FACET_PARAMETERS,
        responses={
            200: schema.FacetsSerializer,
            400: OpenApiResponse(VALIDATION_ERROR, description="A parameter is invalid; it is named."),
            404: OpenApiResponse(DETAIL_ERROR, description="No such category."),
            503: UNAVAILABLE,
        },
    )
    def get(self, request: Request, slug: str) -> HttpResponseBase:
        query = parse_facet_query(request.query_params)  # refused before any cache or database work

        def body() -> dict[str, Any]:
            facets = product_facets(slug=slug, query=query)
            if facets is None:
                raise no_category(slug)
            return facets

        return cached_json(
            request,
            facets_key(slug=slug, query=query),
            category_generation_key(slug),
            settings.CACHE_TTLS["listing"],
            body,
        )


class ProductDetailView(APIView):
    """One published product."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        refused = cannot_exist(pk=kwargs["pk"])
        if refused is not None:  # as in CategoryProductsView
            raise refused
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="product_detail",
        responses={
            200: schema.ProductDetailSerializer,
            404: OpenApiResponse(DETAIL_ERROR, description="No such published product."),
            503: UNAVAILABLE,
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponseBase:
        def body() -> dict[str, Any]:
            product = product_detail(product_id=pk, url_for=product_url_builder(request))
            if product is None:
                raise no_product(pk)
            return product

        return cached_json(
            request,
            product_key(base_url=link_base(request), product_id=pk),
            product_generation_key(pk),
            settings.CACHE_TTLS["product"],
            body,
        )
