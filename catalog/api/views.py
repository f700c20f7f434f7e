"""Product endpoints: thin views over ``catalog.selectors``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api import cursors, schema
from catalog.api.params import ListingQuery, parse_listing_query
from catalog.selectors import Page, product_detail, product_listing
from categories.selectors import category_tree

UNAVAILABLE = OpenApiResponse(schema.DETAIL_ERROR, description="MongoDB or the database did not answer.")


def product_url_builder(request: HttpRequest):  # noqa: ANN201 - a closure
    """Return id -> the product's absolute URL (the prefix is built once per request)."""
    prefix = request.build_absolute_uri(reverse("api:product-detail", kwargs={"pk": 0}))[: -len("0/")]
    return lambda pk: f"{prefix}{pk}/"


def page_links(request: Request, query: ListingQuery, page: Page) -> dict[str, str | None]:
    """Return the absolute next and previous URLs of ``page``."""
    from django.utils.http import urlencode

    base = request.build_absolute_uri(request.path)
    params = query.link_params()

    def link(cursor: cursors.Cursor | None) -> str | None:
        if cursor is None:
            return None
        return f"{base}?{urlencode([*params, ('cursor', cursors.encode(cursor))])}"

    return {"next": link(page.next), "previous": link(page.previous)}


class CategoryProductsView(APIView):
    """The published products of a category and, by default, of its descendants."""

    @extend_schema(
        operation_id="category_products",
        parameters=schema.LISTING_PARAMETERS,
        responses={
            200: schema.ProductListPageSerializer,
            400: OpenApiResponse(schema.VALIDATION_ERROR, description="A parameter is invalid; it is named."),
            404: OpenApiResponse(schema.DETAIL_ERROR, description="No such category."),
            503: UNAVAILABLE,
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        query = parse_listing_query(request.query_params)  # refused before any database work
        tree = category_tree()
        category = tree.by_slug.get(slug)
        if category is None:
            raise NotFound(f"No category with slug {slug!r}.")
        page = product_listing(
            tree=tree, category=category, query=query, url_for=product_url_builder(request)
        )
        return Response({**page_links(request, query, page), "results": page.items})


class ProductDetailView(APIView):
    """One published product."""

    @extend_schema(
        operation_id="product_detail",
        responses={
            200: schema.ProductDetailSerializer,
            404: OpenApiResponse(schema.DETAIL_ERROR, description="No such published product."),
            503: UNAVAILABLE,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        product: dict[str, Any] | None = product_detail(product_id=pk, url_for=product_url_builder(request))
        if product is None:
            raise NotFound(f"No published product with id {pk}.")
        return Response(product)
