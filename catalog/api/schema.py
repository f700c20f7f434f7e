"""Serializers that describe the API's responses in the OpenAPI schema.

The views build plain dicts (see ``catalog.selectors``) rather than run these per field, so
the hot path skips DRF's field machinery; the schema stays truthful because a test checks
real responses against it.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, inline_serializer
from rest_framework import serializers

from catalog.api.params import DEFAULT_PAGE_SIZE, LISTING_FIELDS, MAX_PAGE_SIZE, ORDERINGS

ATTRIBUTE_VALUE = "text, number, boolean, or a list of those"


class ProductListItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, help_text='A decimal string, e.g. "19.99".'
    )
    category = serializers.SlugField(help_text="The product's category (its slug).")
    attributes = serializers.DictField(child=serializers.JSONField(), help_text=f"name -> {ATTRIBUTE_VALUE}")
    images = serializers.ListField(child=serializers.URLField())
    url = serializers.URLField()

    class Meta:
        ref_name = "ProductListItem"


class ProductListPageSerializer(serializers.Serializer):
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = ProductListItemSerializer(many=True, help_text="Only the fields named in `fields`, when given.")


class ProductDetailSerializer(ProductListItemSerializer):
    description = serializers.CharField(allow_blank=True)

    class Meta:
        ref_name = "ProductDetail"


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.SlugField()
    url = serializers.URLField()
    products_url = serializers.URLField()


class CategoryTreeNodeSerializer(CategoryRefSerializer):
    children = serializers.ListField(
        child=serializers.DictField(), help_text="Nodes of the same shape, nested."
    )


class CategoryDetailSerializer(CategoryRefSerializer):
    ancestors = CategoryRefSerializer(many=True, help_text="From the root down to the parent (breadcrumbs).")
    children = CategoryRefSerializer(many=True)


# A raw schema: the keys are the names of the invalid parameters, which a serializer cannot say.
VALIDATION_ERROR = {
    "type": "object",
    "description": "Each invalid parameter by name, with what was wrong with it.",
    "minProperties": 1,
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"min_price": ["a decimal number such as 19.99"]},
}
DETAIL_ERROR = inline_serializer("Error", {"detail": serializers.CharField()})

LISTING_PARAMETERS = [
    OpenApiParameter(
        "cursor", OpenApiTypes.STR, description="Opaque position from a `next` or `previous` link."
    ),
    OpenApiParameter(
        "page_size",
        OpenApiTypes.INT,
        description=f"Products per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
    ),
    OpenApiParameter("ordering", OpenApiTypes.STR, enum=list(ORDERINGS), description="Default: newest."),
    OpenApiParameter(
        "min_price", OpenApiTypes.DECIMAL, description="Lowest price, inclusive (two places at most)."
    ),
    OpenApiParameter("max_price", OpenApiTypes.DECIMAL, description="Highest price, inclusive."),
    OpenApiParameter(
        "attr",
        OpenApiTypes.STR,
        many=True,
        explode=True,
        description="KEY:VALUE, repeatable; every one must match. The value is compared literally (as text, "
        "and as the number or boolean it spells).",
    ),
    OpenApiParameter(
        "fields", OpenApiTypes.STR, description=f"Comma-separated subset of: {', '.join(LISTING_FIELDS)}."
    ),
    OpenApiParameter(
        "include_descendants",
        OpenApiTypes.BOOL,
        description="Include subcategories' products (default true).",
    ),
]
