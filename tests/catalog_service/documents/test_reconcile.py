"""reconcile_documents against documents edited behind the service's back."""

from decimal import Decimal
from io import StringIO

import pytest
from bson.decimal128 import Decimal128
from django.core.management import call_command

from catalog.models import Product
from catalog_service.documents.models import OutboxRecord
from catalog_service.documents.reconcile import reconcile
from tests.factories import make_products


def run(*args):
    out = StringIO()
    call_command("reconcile_documents", *args, stdout=out)
    return out.getvalue()


def test_reports_and_repairs_missing_stale_and_orphaned_documents(products_collection):
    products = make_products(7)
    ids = [p.pk for p in products]
    products_collection.delete_one({"_id": ids[0]})
    products_collection.update_one({"_id": ids[1]}, {"$set": {"name": "edited behind our back"}})
    products_collection.update_one({"_id": ids[2]}, {"$set": {"version": 0}})
    products_collection.update_one({"_id": ids[3]}, {"$set": {"price": Decimal128("999.99")}})
    Product.objects.filter(pk=ids[4]).update(is_published=False)  # the update writes the mirror
    products_collection.update_one({"_id": ids[4]}, {"$set": {"is_published": True}})
    products_collection.insert_one({"_id": 10**9, "name": "orphan", "version": 3})

    report = reconcile(Product, batch_size=2)  # batches smaller than the data
    assert (report.missing, report.stale, report.orphaned) == ([ids[0]], ids[1:5], [10**9])
    assert report.rows == 7
    output = run("--batch-size", "3")
    assert f"missing: 1 ({ids[0]})" in output
    assert "stale: 4" in output
    assert f"orphaned: 1 ({10**9})" in output
    with pytest.raises(SystemExit):
        run("--check")

    output = run("--repair", "--batch-size", "2")
    assert "repaired: 6" in output
    assert "drift: 0" in run("--check")  # a second pass finds nothing left
    docs = {d["_id"]: d for d in products_collection.find()}
    assert set(docs) == set(ids)
    assert docs[ids[0]]["name"] == "Product 0"
    assert docs[ids[1]]["name"] == "Product 1"
    assert docs[ids[2]]["version"] == 1
    assert docs[ids[3]]["price"] == Decimal128("3.00")
    assert docs[ids[4]]["is_published"] is False
    assert Product.objects.get(pk=ids[1]).name == "Product 1"


def test_objects_in_flight_are_left_to_the_relay(products_collection):
    product = make_products(1)[0]
    OutboxRecord.objects.create(
        model_label="catalog.Product", object_id=product.pk, version=2, operation="upsert",
        document={"name": "queued", "price": "1.00"},
    )  # fmt: skip
    products_collection.delete_one({"_id": product.pk})
    report = reconcile(Product, repair=True)
    assert report.drift == 0
    assert report.pending == [product.pk]
    assert products_collection.find_one({"_id": product.pk}) is None


def test_a_row_without_any_recorded_document_is_reported_unrepairable(products_collection):
    product = make_products(1)[0]
    OutboxRecord.objects.filter(object_id=product.pk).delete()
    products_collection.delete_one({"_id": product.pk})
    report = reconcile(Product, repair=True)
    assert report.missing == [product.pk]
    assert report.unrepairable == [product.pk]
    assert "unrepairable (no recorded document): 1" in run("--repair")


def test_bad_arguments_are_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not a model with document fields"):
        run("--model", "categories.Category")
    with pytest.raises(CommandError, match="--model nope"):
        run("--model", "nope")
    with pytest.raises(CommandError, match="--batch-size"):
        run("--batch-size", "0")


def test_documents_written_by_the_service_show_no_drift(products_collection):
    products = make_products(3, attributes={"colour": "red", "sizes": ["S", 2, True]})
    products[0].price = Decimal("10.5")
    products[0].save()
    Product.objects.filter(pk=products[1].pk).update(price=Decimal("7"), name="renamed")
    products[2].delete()
    report = reconcile(Product)
    assert (report.rows, report.documents, report.drift) == (2, 2, 0)


def test_the_walk_shows_its_progress(products_collection, monkeypatch):
    from catalog_service import progress

    monkeypatch.setattr(progress, "LOG_EVERY_SECONDS", 0)
    make_products(30)
    err = StringIO()
    call_command("reconcile_documents", "--batch-size", "10", stdout=StringIO(), stderr=err)
    lines = [line for line in err.getvalue().splitlines() if line.startswith("reconciling catalog.Product: ")]
    assert lines[0].startswith("reconciling catalog.Product: 10 of 60 rows and documents (16 %)")
    assert lines[-1].startswith("reconciling catalog.Product: 60 of 60 rows and documents (100 %)")
