"""Category endpoints: the tree, and one category with its breadcrumbs and children."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog_service.api.origin import absolute_link
from catalog_service.api.schema import DETAIL_ERROR
from categories import schema
from categories.models import SLUG_MAX_LENGTH
from categories.selectors import CategoryTree, Node, category_tree


def _ref(request: Request, node: Node) -> dict[str, Any]:
    # The same origin as every other link of the API (not whatever port a Host header names).
    detail = absolute_link(request, reverse("api:category-detail", kwargs={"slug": node.slug}))
    return {
        "id": node.id,
        "name": node.name,
        "slug": node.slug,
        "url": detail,
        "products_url": f"{detail}products/",
    }


def _subtree(request: Request, tree: CategoryTree, node: Node, seen: set[int]) -> dict[str, Any]:
    seen.add(node.id)
    children = [c for c in tree.children.get(node.id, ()) if c.id not in seen]
    return {**_ref(request, node), "children": [_subtree(request, tree, c, seen) for c in children]}


def _not_found(slug: str) -> NotFound:
    return NotFound(f"No category with slug {slug!r}.")


class CategoryTreeView(APIView):
    """The whole category tree (one SQL query)."""

    @extend_schema(
        operation_id="category_tree",
        responses={
            200: schema.CategoryTreeNodeSerializer(many=True),
            503: OpenApiResponse(DETAIL_ERROR),
        },
    )
    def get(self, request: Request) -> Response:
        tree = category_tree()
        seen: set[int] = set()
        return Response([_subtree(request, tree, root, seen) for root in tree.roots()])


class CategoryDetailView(APIView):
    """One category with its ancestors (breadcrumbs) and children."""

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        if len(kwargs["slug"]) > SLUG_MAX_LENGTH:  # names no category: a 404 before any I/O
            raise _not_found(kwargs["slug"][:SLUG_MAX_LENGTH] + "...")
        super().initial(request, *args, **kwargs)

    @extend_schema(
        operation_id="category_detail",
        responses={
            200: schema.CategoryDetailSerializer,
            404: OpenApiResponse(DETAIL_ERROR, description="No such category."),
            503: OpenApiResponse(DETAIL_ERROR),
        },
    )
    def get(self, request: Request, slug: str) -> Response:
        tree = category_tree()
        node = tree.by_slug.get(slug)
        if node is None:
            raise _not_found(slug)
        return Response({
            **_ref(request, node),
            "ancestors": [_ref(request, a) for a in tree.ancestors(node)],
            "children": [_ref(request, c) for c in tree.children.get(node.id, ())],
        })  # fmt: skip
