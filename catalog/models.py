from __future__ import annotations

from django.db import models

from categories.models import Category


class Product(models.Model):
    """A product's relational part. Its name, description, price, attributes and images
    live in a MongoDB document with the same id (see catalog_service.documents)."""

    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    sku = models.CharField("SKU", max_length=64, unique=True)
    is_published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped on every write; the MongoDB document carries the version it was written from,
    # so an older write never overwrites a newer one.
    version = models.PositiveBigIntegerField(default=1, editable=False)

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
