"""factory_boy factories for the catalog's models."""

from __future__ import annotations

from decimal import Decimal

import factory

from catalog.models import Product
from categories.models import Category


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")
    position = 0


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    category = factory.SubFactory(CategoryFactory)
    sku = factory.Sequence(lambda n: f"TEST-{n:06d}")
    is_published = True


def make_products(n: int, category: Category | None = None, **doc: object) -> list[Product]:
    """Create ``n`` products (named "Product i", priced i) in one bulk insert; return them."""
    category = category or CategoryFactory()
    objs = [
        Product(category=category, sku=f"P-{category.pk}-{i}", name=f"Product {i}", price=Decimal(i), **doc)
        for i in range(n)
    ]
    return Product.objects.bulk_create(objs)
