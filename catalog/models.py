from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import models
from pymongo import ASCENDING, DESCENDING, IndexModel

from catalog.invalidation import invalidate_after_commit, invalidate_now
from catalog_service.documents.base import DocumentModel
from catalog_service.documents.fields import (
    DocumentCharField,
    DocumentDecimalField,
    DocumentTextField,
    attributes_field,
    url_list_field,
)
from categories.models import Category


class Product(DocumentModel):
    """A product: relational columns in Postgres, and a MongoDB document (collection
    ``products``, ``_id`` = pk) with its name, description, price, attributes and images."""

    document_collection = "products"
    # Copied into the document so the document side can filter and order a category's products.
    document_mirror_fields = ("category_id", "is_published", "created_at")
    # What the document-driven listings need: a category's products by price, by id (keyset
    # pages), newest first; and attribute filters and ranges (a wildcard index). The facets'
    # aggregate starts with a $match on category_id and is_published, the first index's prefix;
    # its $facet sub-pipelines work on what that match passed on, which no index can serve.
    document_indexes = (
        IndexModel(
            [
                ("category_id", ASCENDING),
                ("is_published", ASCENDING),
                ("price", ASCENDING),
                ("_id", ASCENDING),
            ]
        ),
        IndexModel(
            [("category_id", ASCENDING), ("is_published", ASCENDING), ("name", ASCENDING), ("_id", ASCENDING)]
        ),
        IndexModel([("category_id", ASCENDING), ("_id", ASCENDING)]),
        IndexModel([("category_id", ASCENDING), ("created_at", DESCENDING), ("_id", DESCENDING)]),
        IndexModel([("attributes.$**", ASCENDING)]),
    )

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    sku = models.CharField("SKU", max_length=64, unique=True)
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    name = DocumentCharField(max_length=200)
    description = DocumentTextField(blank=True, default="")
    price = DocumentDecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0"), default=Decimal("0.00")
    )
    attributes = attributes_field()
    images = url_list_field()

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            # The newest-first listing of a category's published products, keyset-paginated.
            models.Index(
                fields=("category", "-created_at", "-id"),
                condition=models.Q(is_published=True),
                name="product_published_newest",
            ),
        ]

    def __str__(self) -> str:
        return self.sku

    @classmethod
    def documents_recorded(
        cls,
        previous: dict[int, dict[str, Any] | None],
        current: dict[int, dict[str, Any] | None],
        *,
        using: str,
    ) -> None:
        """Outdate, after commit, the listings of the old and new categories and the details."""
        categories = {doc["category_id"] for doc in [*previous.values(), *current.values()] if doc}
        invalidate_after_commit(using=using, category_ids=categories, product_ids=list(current))

    @classmethod
    def documents_applied(cls, documents: dict[int, dict[str, Any]]) -> None:
        """The documents changed in MongoDB: outdate what was built from the older ones."""
        invalidate_now(
            category_ids={doc.get("category_id") for doc in documents.values()}, product_ids=list(documents)
        )
