"""Django Admin over document fields: forms, the changelist and search, on the real stack."""

from decimal import Decimal

import pytest
from bson.decimal128 import Decimal128
from django.urls import reverse

from catalog.models import Product
from tests.conftest import finds
from tests.factories import CategoryFactory, make_products


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


@pytest.mark.parametrize("n", [5, 60])
def test_the_changelist_shows_names_and_prices_with_one_mongodb_query(
    n, staff_client, products_collection, mongo_commands
):
    make_products(n)
    with mongo_commands() as commands:
        response = staff_client.get(reverse("admin:catalog_product_changelist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Product 0" in body and f"Product {n - 1}" in body
    assert f"{Decimal(n - 1):.2f}" in body
    assert len(commands) == 1
    assert commands[0]["name"] == "find"


def test_search_by_name_asks_mongodb_for_ids(staff_client, products_collection, mongo_commands):
    make_products(3)
    Product.objects.filter(pk=Product.objects.order_by("id").first().pk).update(name="Blue (XL) mug")
    with mongo_commands() as commands:
        response = staff_client.get(reverse("admin:catalog_product_changelist"), {"q": "(xl)"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "Blue (XL) mug" in body
    assert "Product 1" not in body
    search = finds(commands)[0]["command"]
    assert search["filter"] == {"name": {"$regex": r"\(xl\)", "$options": "i"}}
    # An operator in the search box is text, never a query.
    response = staff_client.get(reverse("admin:catalog_product_changelist"), {"q": '{"$ne": null}'})
    assert response.status_code == 200
    assert "0 products" in response.content.decode()


def test_add_and_change_edit_document_fields_as_form_fields(staff_client, products_collection):
    category = CategoryFactory()
    url = reverse("admin:catalog_product_add")
    form = {
        "sku": "ADM-1", "category": category.pk, "is_published": "on", "name": "Teapot",
        "description": "Cast iron", "price": "24.50", "attributes": '{"colour": "black", "litres": 1.2}',
        "images": '["https://img.example.com/teapot.jpg"]',
    }  # fmt: skip
    response = staff_client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    product = Product.objects.get(sku="ADM-1")
    doc = products_collection.find_one({"_id": product.pk})
    assert (doc["name"], doc["price"]) == ("Teapot", Decimal128("24.50"))
    assert doc["attributes"] == {"colour": "black", "litres": 1.2}

    change = reverse("admin:catalog_product_change", args=[product.pk])
    page = staff_client.get(change).content.decode()
    assert 'value="Teapot"' in page and "Cast iron" in page
    response = staff_client.post(change, {**form, "name": "Kettle", "price": "19.00"})
    assert response.status_code == 302
    doc = products_collection.find_one({"_id": product.pk})
    assert (doc["name"], doc["price"], doc["version"]) == ("Kettle", Decimal128("19.00"), 2)


def test_validation_errors_are_shown_in_the_form(staff_client, products_collection):
    category = CategoryFactory()
    form = {
        "sku": "ADM-2", "category": category.pk, "name": "x" * 201, "price": "-1",
        "attributes": '{"nested": {"not": "allowed"}}', "images": '["not a url"]',
    }  # fmt: skip
    response = staff_client.post(reverse("admin:catalog_product_add"), form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"name", "price", "attributes", "images"} <= set(errors)
    assert "at most 200 characters" in str(errors["name"])
    assert "greater than or equal to 0" in str(errors["price"])
    assert not Product.objects.filter(sku="ADM-2").exists()
    assert products_collection.count_documents({}) == 0
