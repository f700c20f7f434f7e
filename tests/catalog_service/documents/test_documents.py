"""Document-backed fields on the real stack: batch reads, outbox writes, bulk operations."""

from decimal import Decimal

import pytest
from bson.decimal128 import Decimal128
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import transaction
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from catalog.serializers import ProductSerializer
from catalog_service.documents.fields import validate_attributes
from catalog_service.documents.models import OutboxRecord
from catalog_service.documents.relay import mongo_operation, write_batch
from categories.models import Category
from tests.conftest import finds, wait_for
from tests.factories import CategoryFactory, make_products


@pytest.mark.parametrize("n", [1, 50, 500])
def test_a_queryset_costs_one_sql_query_and_one_find(n, products_collection, mongo_commands):
    from django.db import connection

    make_products(n)
    with CaptureQueriesContext(connection) as queries, mongo_commands() as commands:
        products = list(Product.objects.filter(is_published=True).order_by("id"))
        names = [p.name for p in products]
        prices = [p.price for p in products]
    assert len(queries) == 1
    assert len(commands) == 1
    find = commands[0]["command"]
    assert find["filter"]["_id"]["$in"] == [p.pk for p in products]
    assert set(find["projection"]) == {"name", "description", "price", "attributes", "images"}
    assert names == [f"Product {i}" for i in range(n)]
    assert prices == [Decimal(i).quantize(Decimal("0.01")) for i in range(n)]


def test_slices_chunks_and_prefetch_batch_too(products_collection, mongo_commands):
    category = CategoryFactory()
    make_products(250, category=category)
    with mongo_commands() as commands:
        page = list(Product.objects.order_by("id")[10:60])
        assert [p.name for p in page] == [f"Product {i}" for i in range(10, 60)]
    assert len(finds(commands)) == 1
    with mongo_commands() as commands:
        names = [p.name for p in Product.objects.order_by("id").iterator(chunk_size=100)]
    assert len(names) == 250
    assert len(finds(commands)) == 3  # one per chunk
    with mongo_commands() as commands:
        categories = list(Category.objects.filter(pk=category.pk).prefetch_related("products"))
        assert len([p.name for p in categories[0].products.all()]) == 250
    assert len(finds(commands)) == 1


def test_projection_and_lazy_single_instance(products_collection, mongo_commands):
    product = make_products(2)[0]
    with mongo_commands() as commands:
        products = list(Product.objects.documents("name").order_by("id"))
    assert set(finds(commands)[0]["command"]["projection"]) == {"name"}
    with mongo_commands() as commands:
        assert products[0].name == "Product 0"
    assert commands == []
    with mongo_commands() as commands:
        lone = Product.objects.get(pk=product.pk)
    assert commands == []  # nothing fetched until a document field is read
    with mongo_commands() as commands:
        assert lone.name == "Product 0"
        assert lone.price == Decimal("0.00")
        assert lone.attributes == {}
    assert len(finds(commands)) == 1


def test_save_writes_the_document_after_commit_with_its_version(products_collection, mongo_commands):
    category = CategoryFactory()
    product = Product(
        category=category, sku="S-1", name="Lamp", price=Decimal("19.9"), attributes={"color": "red"}
    )
    product.save()
    doc = products_collection.find_one({"_id": product.pk})
    assert doc["name"] == "Lamp"
    assert doc["price"] == Decimal128("19.90")
    assert doc["version"] == 1
    assert doc["category_id"] == category.pk
    assert doc["is_published"] is True

    product.price = Decimal("25")
    with mongo_commands() as commands:
        product.save()
        assert product.price == Decimal("25.00")
        assert product.name == "Lamp"
    assert finds(commands) == []  # the saving instance sees its values without reading
    doc = products_collection.find_one({"_id": product.pk})
    assert (doc["version"], doc["price"], doc["name"]) == (2, Decimal128("25.00"), "Lamp")


def test_two_editors_of_different_fields_both_keep_their_change(products_collection):
    product = make_products(1)[0]
    first, second = Product.objects.get(pk=product.pk), Product.objects.get(pk=product.pk)
    first.price, second.name = Decimal("7"), "Renamed"
    first.save()
    second.save()
    doc = products_collection.find_one({"_id": product.pk})
    assert (doc["price"], doc["name"], doc["version"]) == (Decimal128("7.00"), "Renamed", 3)


def test_a_rolled_back_transaction_leaves_mongodb_untouched(products_collection):
    product = make_products(1)[0]
    with pytest.raises(RuntimeError), transaction.atomic():
        product.name = "Never"
        product.save()
        Product(category=product.category, sku="ROLLED", name="Ghost").save()
        raise RuntimeError
    assert products_collection.find_one({"_id": product.pk})["name"] == "Product 0"
    assert products_collection.count_documents({}) == 1
    assert not OutboxRecord.objects.filter(applied_at__isnull=True).exists()


def test_delete_and_bulk_operations(products_collection):
    products = make_products(5)
    assert products_collection.count_documents({}) == 5
    assert all(OutboxRecord.objects.filter(object_id=p.pk).exists() for p in products)

    updated = Product.objects.filter(pk__in=[p.pk for p in products[:3]]).update(price=Decimal("9.5"))
    assert updated == 3
    docs = products_collection.find({"_id": {"$in": [p.pk for p in products[:3]]}})
    assert [d["price"] for d in docs] == [Decimal128("9.50")] * 3
    Product.objects.filter(pk=products[3].pk).update(is_published=False)
    assert products_collection.find_one({"_id": products[3].pk})["is_published"] is False

    products[0].delete()
    assert products_collection.find_one({"_id": products[0].pk}) is None
    Product.objects.filter(pk__in=[p.pk for p in products[1:3]]).delete()
    assert products_collection.count_documents({}) == 2
    assert not OutboxRecord.objects.filter(object_id__in=[p.pk for p in products[:3]]).exists()


def test_applying_a_record_twice_or_out_of_order_leaves_the_newest(products_collection):
    product = make_products(1)[0]
    product.name = "v2"
    product.save()
    product.name = "v3"
    product.save()
    records = {r.version: r for r in OutboxRecord.objects.filter(object_id=product.pk)}
    v3 = records[3]
    v2 = OutboxRecord(model_label=v3.model_label, object_id=product.pk, version=2, operation="upsert",
                      document={**v3.document, "name": "v2"})  # fmt: skip
    assert write_batch("catalog.Product", [v3]) == {}  # twice: idempotent
    assert write_batch("catalog.Product", [v2]) == {}  # older: ignored, not an error
    doc = products_collection.find_one({"_id": product.pk})
    assert (doc["name"], doc["version"]) == ("v3", 3)
    assert mongo_operation(Product, v2)._filter == {"_id": product.pk, "version": {"$lt": 2}}


def test_validation_and_drf_serializer(products_collection):
    from django.core.exceptions import ValidationError

    category = CategoryFactory()
    bad = Product(category=category, sku="BAD", name="x" * 201, price=Decimal("-1"), attributes={"$ne": 1},
                  images=["not a url"])  # fmt: skip
    with pytest.raises(ValidationError) as error:
        bad.full_clean()
    assert {"name", "price", "attributes", "images"} <= set(error.value.message_dict)

    product = make_products(1, category=category, images=["https://img.example.com/1.jpg"])[0]
    data = ProductSerializer(Product.objects.get(pk=product.pk)).data
    assert data["name"] == "Product 0"
    assert data["price"] == "0.00"
    assert data["images"] == ["https://img.example.com/1.jpg"]
    assert data["attributes"] == {}

    serializer = ProductSerializer(data={"category": category.pk, "sku": "NEW", "name": "Made by DRF",
                                         "price": "12.30", "attributes": {"size": ["S", "M"]}})  # fmt: skip
    assert serializer.is_valid(), serializer.errors
    created = serializer.save()
    assert products_collection.find_one({"_id": created.pk})["price"] == Decimal128("12.30")
    assert not ProductSerializer(
        data={"category": category.pk, "sku": "N2", "name": "n", "price": "-3"}
    ).is_valid()


@pytest.mark.stack
def test_a_save_while_mongodb_is_down_succeeds_and_the_relay_applies_it_later(
    products_collection, stack_component
):
    product = make_products(1)[0]
    stack_component("mongo")
    product.name = "Saved while down"
    product.save()
    assert OutboxRecord.objects.filter(object_id=product.pk, applied_at__isnull=True).count() == 1
    from tests.conftest import stack

    stack("start", "mongo")

    def relayed():
        # Skip the backoff; the first write on a connection from before the restart may fail.
        OutboxRecord.objects.filter(applied_at__isnull=True).update(next_attempt_at="2000-01-01T00:00Z")
        call_command("relay_outbox", "--once")
        return not OutboxRecord.objects.filter(applied_at__isnull=True).exists()

    wait_for(relayed, timeout=30, interval=0.2)
    assert products_collection.find_one({"_id": product.pk})["name"] == "Saved while down"
    assert not OutboxRecord.objects.filter(applied_at__isnull=True).exists()


def test_ensure_document_indexes_is_idempotent(products_collection, capsys):
    call_command("ensure_document_indexes")
    call_command("ensure_document_indexes")
    names = set(products_collection.index_information())
    assert {"category_id_1_is_published_1_price_1__id_1", "category_id_1__id_1", "attributes.$**_1"} <= names


def test_bulk_create_in_a_fresh_unit_of_work_writes_to_the_primary(products_collection):
    from catalog_service.db import state

    category = CategoryFactory()
    with state.scope():  # nothing written yet: reads would go to a replica
        created = Product.objects.bulk_create([Product(category=category, sku="FRESH-1", name="Fresh")])
    assert products_collection.find_one({"_id": created[0].pk})["name"] == "Fresh"


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"big": 2**70}, "64-bit"),
        ({"big": [1, 2**63]}, "64-bit"),
        ({"small": -(2**63) - 1}, "64-bit"),
        ({"ratio": float("nan")}, "finite"),
        ({"ratio": float("inf")}, "finite"),
        ({"note": "x" * 1000}, "at most 1000 bytes"),
        ({"n" * 1001: 1}, "at most 1000 bytes"),
    ],
)
def test_attribute_values_bson_or_the_index_cannot_hold_are_refused(attributes, message):
    with pytest.raises(ValidationError, match=message):
        validate_attributes(attributes)


def test_attribute_values_at_the_limits_are_accepted():
    validate_attributes({"max": 2**63 - 1, "min": -(2**63), "on": True, "note": "é" * 497, "r": 1.5})


def test_a_document_over_the_size_limit_is_refused(settings):
    settings.DOCUMENT_MAX_BYTES = 4096
    product = Product(sku="BIG", name="Big", description="x" * 3000)
    product.clean()  # fits
    product.images = [f"https://img.example.com/{i:04}.jpg" for i in range(100)]
    with pytest.raises(ValidationError, match="at most 4096 are allowed"):
        product.clean()


def test_a_save_records_only_the_fields_whose_value_changed(products_collection):
    """Assigning every field, as a form does, records only those whose value differs from the
    loaded one: a concurrent change of another field survives."""
    product = make_products(1, attributes={"colour": "red"})[0]
    mine, theirs = Product.objects.get(pk=product.pk), Product.objects.get(pk=product.pk)
    assert (mine.name, theirs.name) == ("Product 0", "Product 0")  # both loaded before either saves
    theirs.price = Decimal("7.00")
    theirs.save()
    for name in ("name", "description", "price", "attributes", "images"):
        setattr(mine, name, getattr(mine, name))  # unchanged values, assigned anew
    mine.attributes = {"colour": "blue"}
    mine.save()
    record = OutboxRecord.objects.get(object_id=product.pk, version=3)
    assert record.changed_fields == ["attributes"]
    doc = products_collection.find_one({"_id": product.pk})
    assert (doc["price"], doc["attributes"], doc["version"]) == (Decimal128("7.00"), {"colour": "blue"}, 3)
    # A change in place, without assignment, is recorded too.
    mine.attributes["size"] = "L"
    mine.save()
    assert OutboxRecord.objects.get(object_id=product.pk, version=4).changed_fields == ["attributes"]
    assert products_collection.find_one({"_id": product.pk})["attributes"] == {"colour": "blue", "size": "L"}
