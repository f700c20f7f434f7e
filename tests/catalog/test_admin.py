"""Django Admin over document fields: forms, the changelist and search, on the real stack."""

from decimal import Decimal

import pytest
from bson.decimal128 import Decimal128
from django.test import Client
from django.urls import reverse

from catalog.models import Product
from catalog_service.documents.models import OutboxRecord
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
    # The form carries the version it was opened at (optimistic concurrency).
    response = staff_client.post(change, {**form, "name": "Kettle", "price": "19.00", "expected_version": 1})
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


def form_errors(response):
    return response.context["adminform"].form.errors if response.context else response.status_code


def open_change_form(client, product):
    """GET the change form; return its fields as a browser would post them back."""
    response = client.get(reverse("admin:catalog_product_change", args=[product.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    data = {}
    for name in form.fields:
        value = form[name].value()  # prepared for the widget: JSON text, the category's pk
        if value is True:
            data[name] = "on"
        elif value is not None and value is not False:  # not "in": Decimal(0) == False
            data[name] = value
    return data


def test_the_second_of_two_editors_gets_a_conflict_and_loses_nothing_by_reloading(
    client, django_user_model, products_collection
):
    product = make_products(1, attributes={"colour": "red"})[0]
    first, second = client, Client()
    first.force_login(django_user_model.objects.create_superuser("ann", "ann@example.com", "pw"))
    second.force_login(django_user_model.objects.create_superuser("bob", "bob@example.com", "pw"))
    change = reverse("admin:catalog_product_change", args=[product.pk])
    opened_by_first, opened_by_second = open_change_form(first, product), open_change_form(second, product)
    assert opened_by_first["expected_version"] == opened_by_second["expected_version"] == 1

    response = first.post(change, {**opened_by_first, "name": "Renamed by Ann"})
    assert response.status_code == 302, form_errors(response)
    # The form posts every field; only the one Ann changed is recorded as changed.
    assert OutboxRecord.objects.get(object_id=product.pk, version=2).changed_fields == ["name"]

    response = second.post(change, {**opened_by_second, "price": "99.00"})
    assert response.status_code == 200  # the form again, with the error
    errors = response.context["adminform"].form.non_field_errors()
    assert (
        len(errors) == 1 and "Conflict" in errors[0] and "version 2" in errors[0] and "version 1" in errors[0]
    )
    assert "Conflict: someone else saved this product" in response.content.decode()
    doc = products_collection.find_one({"_id": product.pk})
    assert (doc["name"], doc["price"], doc["version"]) == ("Renamed by Ann", Decimal128("0.00"), 2)
    assert OutboxRecord.objects.filter(object_id=product.pk).order_by("-version").first().version == 2

    reloaded = open_change_form(second, product)  # shows Ann's change
    assert (reloaded["name"], reloaded["expected_version"]) == ("Renamed by Ann", 2)
    response = second.post(change, {**reloaded, "price": "99.00"})
    assert response.status_code == 302, form_errors(response)
    doc = products_collection.find_one({"_id": product.pk})
    assert (doc["name"], doc["price"], doc["attributes"], doc["version"]) == (
        "Renamed by Ann", Decimal128("99.00"), {"colour": "red"}, 3,
    )  # fmt: skip
    # Only what Bob changed is recorded as his change; the rest comes from the newest record.
    assert OutboxRecord.objects.get(object_id=product.pk, version=3).changed_fields == ["price"]


def test_a_post_without_the_hidden_version_uses_the_version_this_session_opened(
    client, django_user_model, products_collection
):
    """A client that posts only the visible fields is held to the version it opened."""
    product = make_products(1)[0]
    first, second = client, Client()
    for browser, name in ((first, "ann"), (second, "bob")):
        browser.force_login(django_user_model.objects.create_superuser(name, f"{name}@example.com", "pw"))
    change = reverse("admin:catalog_product_change", args=[product.pk])
    form = open_change_form(first, product)
    del form["expected_version"]
    open_change_form(second, product)
    assert second.post(change, {**form, "name": "Bob's"}).status_code == 302
    response = first.post(change, {**form, "name": "Ann's"})
    assert response.status_code == 200
    assert "Conflict" in str(response.context["adminform"].form.non_field_errors())
    assert products_collection.find_one({"_id": product.pk})["name"] == "Bob's"
    assert (
        second.post(change, {**form, "name": "Bob's", "price": "5.00"}).status_code == 302
    )  # after his own save
