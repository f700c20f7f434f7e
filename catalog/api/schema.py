"""Serializers and parameters that describe the product endpoints in the OpenAPI schema (the
error bodies every app shares are in ``catalog_service.api.schema``).

The views build plain dicts (see ``catalog.selectors``) rather than run these per field, so
the hot path skips DRF's field machinery; the schema stays truthful because a test checks
real responses against it.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, OpenApiTypes
from rest_framework import serializers

from catalog.listing import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_PRICE_BUCKETS,
    LISTING_FIELDS,
    MAX_FACET_KEYS,
    MAX_FACET_VALUES,
    MAX_PAGE_SIZE,
    MAX_PRICE_BUCKETS,
    ORDERINGS,
)

ATTRIBUTE_VALUE = "text, number, boolean, or a list of those"


class ProductListItemSerializer(serializers.Serializer):
    # Not required: `fields=` (sparse fieldsets) may leave any of them out of a listing's items.
    id = serializers.IntegerField(required=False)
    sku = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    price = serializers.DecimalField(
        max_digits=12, decimal_places=2, required=False, help_text='A decimal string, e.g. "19.99".'
    )
    category = serializers.SlugField(required=False, help_text="The product's category (its slug).")
    attributes = serializers.DictField(
        child=serializers.JSONField(), required=False, help_text=f"name -> {ATTRIBUTE_VALUE}"
    )
    images = serializers.ListField(child=serializers.URLField(), required=False)
    url = serializers.URLField(required=False)

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


FILTER_PARAMETERS = [
    OpenApiParameter(
        "min_price", OpenApiTypes.DECIMAL, description="Lowest price, inclusive (two places at most)."
    ),
    OpenApiParameter("max_price", OpenApiTypes.DECIMAL, description="Highest price, inclusive."),
    OpenApiParameter(
        "attr",
        OpenApiTypes.STR,
        many=True,
        explode=True,
        description="KEY:VALUE, repeatable: values of one key are alternatives (any may match), "
        "different keys must all match; a list-valued attribute matches when any element does. "
        "The value is compared literally (as text, and as the number or boolean it spells).",
    ),
    OpenApiParameter(
        "attr_range",
        OpenApiTypes.STR,
        many=True,
        explode=True,
        description="KEY:LOW..HIGH, repeatable (one per key): a numeric attribute between the bounds, "
        "inclusive; `KEY:..5` and `KEY:1..` leave an end open. A list matches when an element does.",
    ),
    OpenApiParameter(
        "include_descendants",
        OpenApiTypes.BOOL,
        description="Include subcategories' products (default true).",
    ),
]

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
    *FILTER_PARAMETERS,
    OpenApiParameter(
        "fields", OpenApiTypes.STR, description=f"Comma-separated subset of: {', '.join(LISTING_FIELDS)}."
    ),
]

FACET_PARAMETERS = [
    *FILTER_PARAMETERS,
    OpenApiParameter(
        "facets",
        OpenApiTypes.STR,
        description=f"Comma-separated attribute keys to count, at most {MAX_FACET_KEYS} "
        f"(default: the keys present in the subtree, the {MAX_FACET_KEYS} most common).",
    ),
    OpenApiParameter(
        "price_buckets",
        OpenApiTypes.INT,
        description=f"Equal-width price buckets over the price range, 1 to {MAX_PRICE_BUCKETS} "
        f"(default {DEFAULT_PRICE_BUCKETS}).",
    ),
]


class PriceBucketSerializer(serializers.Serializer):
    min = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Lowest price, inclusive.")
    max = serializers.DecimalField(max_digits=12, decimal_places=2, help_text="Highest price, inclusive.")
    count = serializers.IntegerField()

    class Meta:
        ref_name = "PriceBucket"


class PriceFacetSerializer(serializers.Serializer):
    min = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    max = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    buckets = PriceBucketSerializer(many=True)

    class Meta:
        ref_name = "PriceFacet"


class FacetValueSerializer(serializers.Serializer):
    value = serializers.JSONField(help_text="The attribute's value: text, number or boolean.")
    count = serializers.IntegerField()
    selected = serializers.BooleanField(help_text="True when an `attr` filter names this value.")

    class Meta:
        ref_name = "FacetValue"


class FacetsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Products matching every filter.")
    price = PriceFacetSerializer(help_text="Over the products matching every filter but the price range.")
    attributes = serializers.DictField(
        child=FacetValueSerializer(many=True),
        help_text=f"key -> its values by count, then value (at most {MAX_FACET_VALUES}); counted over "
        "the products matching every filter but that key's own.",
    )
    truncated = serializers.ListField(
        child=serializers.CharField(), help_text=f"The keys with more than {MAX_FACET_VALUES} values."
    )

    class Meta:
        ref_name = "Facets"
