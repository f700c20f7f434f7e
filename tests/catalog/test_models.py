import pytest
from django.db import IntegrityError

from catalog.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_product_fields_and_defaults():
    product = ProductFactory()
    product.refresh_from_db()
    assert product.is_published is True
    assert product.version == 1
    assert product.created_at <= product.updated_at
    assert str(product) == product.sku


def test_sku_is_unique():
    ProductFactory(sku="SKU-1")
    with pytest.raises(IntegrityError):
        ProductFactory(sku="SKU-1")


def test_products_are_listed_newest_first():
    older, newer = ProductFactory(), ProductFactory()
    assert list(Product.objects.all()) == [newer, older]


def test_document_fields_are_not_columns():
    columns = {f.column for f in Product._meta.concrete_fields}
    assert not {"name", "description", "price", "attributes", "images"} & columns
