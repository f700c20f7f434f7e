"""Serializers and parameters that describe the product endpoints in the OpenAPI schema (the
error bodies every app shares are in ``catalog_service.api.schema``).

The views build plain dicts (see ``catalog.selectors``) rather than run these per field, so
the hot path skips DRF's field machinery; the schema stays truthful because a test checks
real responses against it.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes
from rest_framework import serializers

from catalog.listing import DEFAULT_PAGE_SIZE, LISTING_FIELDS, MAX_PAGE_SIZE, ORDERINGS

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
