"""The outbox relay killed mid-batch, and records applied twice or out of order.

``relay_outbox --pause-at claimed|written`` stops the relay inside its claiming transaction,
after it locked the records (before MongoDB) or after MongoDB acknowledged them (before the
records are marked applied in Postgres); the test then SIGKILLs it there.
"""

import os
import signal
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from catalog_service.documents.models import OutboxRecord
from catalog_service.documents.reconcile import reconcile
from catalog_service.documents.relay import apply_pending
from tests.catalog_service.documents.test_relay import make_pending
from tests.conftest import wait_for, wait_for_replicas
from tests.factories import make_products
from tests.faults.conftest import manage, read_line

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]


@pytest.fixture
def staff_client(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", "admin@example.com", "pw"))
    return client


def claimable() -> list[int]:
    """Return the ids of the pending records no relay holds."""
    with transaction.atomic():
        return list(
            OutboxRecord.objects.select_for_update(skip_locked=True)
            .filter(applied_at__isnull=True)
            .values_list("object_id", flat=True)
        )


def kill_at(point: str) -> None:
    """Run a relay until it pauses at ``point``, then SIGKILL it."""
    relay = manage("relay_outbox", "--pause-at", point)
    try:
        assert read_line(relay) == f"relay paused at {point}"
        assert claimable() == []  # the relay holds every record
    finally:
        os.kill(relay.pid, signal.SIGKILL)
        relay.wait(10)
        relay.stdin.close()
        relay.stdout.close()
        relay.stderr.close()
    assert relay.returncode == -signal.SIGKILL


def test_a_relay_killed_between_the_commit_and_the_mongodb_write_loses_nothing(products_collection):
    ids = make_pending(6)  # committed in Postgres; the after-commit write never reached MongoDB
    products_collection.delete_many({})
    pending = OutboxRecord.objects.filter(applied_at__isnull=True)

    kill_at("claimed")
    assert products_collection.count_documents({}) == 0
    assert pending.count() == 6
    wait_for(lambda: sorted(claimable()) == ids)  # the dead session's locks are gone

    kill_at("written")  # MongoDB has the documents, Postgres never heard back
    assert products_collection.count_documents({}) == 6
    assert pending.count() == 6

    relay = manage("relay_outbox", "--once")  # restarted
    out, err = relay.communicate(timeout=60)
    assert relay.returncode == 0, err[-2000:]
    assert out.strip() == "applied 6, failed 0"  # the written ones again: idempotent
    assert not pending.exists()
    docs = {d["_id"]: d for d in products_collection.find()}
    assert [(docs[i]["name"], docs[i]["version"]) for i in ids] == [(f"Product {n}", 1) for n in range(6)]
    assert reconcile(Product).drift == 0


def requeue(record: OutboxRecord) -> None:
    """Make ``record`` pending again (recorded anew if it was pruned), as a relay that lost its
    acknowledgement, or one that claimed it long ago, would apply it."""
    OutboxRecord.objects.update_or_create(
        model_label=record.model_label, object_id=record.object_id, version=record.version,
        defaults={"operation": record.operation, "document": record.document, "applied_at": None,
                  "next_attempt_at": timezone.now()},
    )  # fmt: skip


def test_the_same_record_twice_and_records_out_of_order_leave_the_newest(products_collection):
    """Through the relay's claim path (``_write`` alone: tests/catalog_service/documents)."""
    product = make_products(1)[0]
    recorded = {1: OutboxRecord.objects.get(object_id=product.pk)}
    for version in (2, 3):
        product.name = f"v{version}"
        product.save()
        recorded[version] = OutboxRecord.objects.get(object_id=product.pk, version=version)

    def document():
        doc = products_collection.find_one({"_id": product.pk})
        return doc["name"], doc["version"]

    assert document() == ("v3", 3)
    for versions in ([3], [3], [1], [2, 1], [1, 3, 2]):  # one relay pass per group
        for version in versions:
            requeue(recorded[version])
        result = apply_pending()
        assert (result.applied, result.failed) == (len(versions), 0)
        assert document() == ("v3", 3), versions

    products_collection.delete_one({"_id": product.pk})  # from nothing, oldest arriving last
    for version in (2, 3, 1):
        requeue(recorded[version])
        apply_pending()
    assert document() == ("v3", 3)
    assert not OutboxRecord.objects.filter(applied_at__isnull=True).exists()
    out = StringIO()
    call_command("reconcile_documents", "--check", stdout=out)
    assert "drift: 0" in out.getvalue()


def test_an_upsert_held_by_a_slow_relay_never_brings_a_deleted_document_back(products_collection):
    product = make_products(1)[0]
    pk = product.pk  # delete() clears it
    product.name = "v2"
    product.save()
    OutboxRecord.objects.filter(object_id=pk, version=2).update(applied_at=None)  # its write was lost
    relay = manage("relay_outbox", "--once", "--pause-at", "claimed")
    deleter = threading.Thread(target=lambda: (product.delete(), connections.close_all()))
    try:
        assert read_line(relay) == "relay paused at claimed"  # holds the v2 upsert
        deleter.start()  # the delete commits, and its after-commit write removes the document
        wait_for(lambda: products_collection.find_one({"_id": pk}) is None)
        relay.stdin.write("\n")  # the slow relay now writes its older upsert
        relay.stdin.flush()
        _, err = relay.communicate(timeout=60)
        assert relay.returncode == 0, err[-2000:]
    finally:
        relay.kill()
        relay.wait()
        deleter.join(30)
    assert products_collection.find_one({"_id": pk}) is None
    assert not OutboxRecord.objects.filter(object_id=pk).exists()
    assert reconcile(Product).drift == 0


def plant_unwritable_record(product: Product) -> OutboxRecord:
    """Record, past validation, a new version of ``product`` with an attribute BSON cannot hold
    (an integer of 2**70), as a save would: the row's version bumped, the record in the outbox."""
    newest = OutboxRecord.objects.filter(object_id=product.pk).order_by("-version").first()
    with connections["default"].cursor() as cursor:
        cursor.execute(
            f"UPDATE {Product._meta.db_table} SET version = version + 1 WHERE id = %s", [product.pk]
        )
    return OutboxRecord.objects.create(
        model_label=Product._meta.label, object_id=product.pk, version=newest.version + 1,
        operation=OutboxRecord.UPSERT, document={**newest.document, "attributes": {"big": 2**70}},
    )  # fmt: skip


def test_a_record_mongodb_cannot_take_is_backed_off_then_dead_lettered_and_the_rest_applied(
    products_collection, settings, staff_client
):
    settings.OUTBOX_DEAD_LETTER_AFTER = 3
    ids = make_pending(5)  # five pending records, none in MongoDB yet
    products_collection.delete_many({})
    bad = plant_unwritable_record(Product.objects.get(pk=ids[2]))
    assert OutboxRecord.objects.get(pk=bad.pk).document["attributes"]["big"] == 2**70  # JSONB holds it

    out = StringIO()
    call_command("relay_outbox", "--once", stdout=out)  # used to raise here, on every restart
    assert out.getvalue().strip() == "applied 4, failed 1"
    assert sorted(d["_id"] for d in products_collection.find()) == [ids[0], ids[1], ids[3], ids[4]]
    bad.refresh_from_db()
    assert (bad.attempts, bad.rejections, bad.dead_lettered_at) == (1, 1, None)
    assert "OverflowError" in bad.last_error
    assert bad.next_attempt_at > timezone.now()  # backed off, alone
    first_wait = bad.next_attempt_at - timezone.now()

    # The product's older record is not held back by the newer one: MongoDB gets version 1.
    assert apply_pending().applied == 1
    assert products_collection.find_one({"_id": ids[2]})["version"] == 1
    assert apply_pending().claimed == 0  # the bad record waits out its backoff

    for rejections in (2, 3):
        OutboxRecord.objects.filter(pk=bad.pk).update(next_attempt_at=timezone.now())  # backoff over
        result = apply_pending()
        assert (result.applied, result.failed) == (0, 1)
        bad.refresh_from_db()
        assert bad.rejections == rejections
    assert bad.dead_lettered_at is not None and result.dead_lettered == 1
    assert bad.next_attempt_at - timezone.now() > first_wait  # the backoff grew
    OutboxRecord.objects.filter(pk=bad.pk).update(next_attempt_at=timezone.now())
    assert apply_pending().claimed == 0  # dead-lettered: never claimed again

    out = StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("reconcile_documents", "--check", stdout=out)
    assert exited.value.code == 1
    report = out.getvalue()
    assert f"dead-lettered in the outbox (the relay gave up): 1 ({ids[2]})" in report
    assert "OverflowError" in report
    assert "stale: 0" in report and "missing: 0" in report

    # Admin shows it: on the product, in the products filter, and in the outbox's own list (the
    # lists read a replica).
    wait_for_replicas()
    page = staff_client.get(reverse("admin:catalog_product_change", args=[ids[2]])).content.decode()
    assert "Dead-lettered" in page and "OverflowError" in page
    assert (
        "Dead-lettered"
        not in staff_client.get(reverse("admin:catalog_product_change", args=[ids[0]])).content.decode()
    )
    listed = staff_client.get(reverse("admin:catalog_product_changelist"), {"document_sync": "dead-lettered"})
    assert [p.pk for p in listed.context["cl"].result_list] == [ids[2]]
    outbox = staff_client.get(
        reverse("admin:catalog_service_outboxrecord_changelist"), {"state": "dead-lettered"}
    )
    assert [r.pk for r in outbox.context["cl"].result_list] == [bad.pk]

    # An editor's next save builds on what MongoDB took and supersedes the dead letter.
    product = Product.objects.get(pk=ids[2])
    product.name = "Fixed"
    product.save()
    doc = products_collection.find_one({"_id": ids[2]})
    assert (doc["name"], doc["attributes"], doc["version"]) == ("Fixed", {}, bad.version + 1)
    assert not OutboxRecord.objects.filter(pk=bad.pk).exists()
    out = StringIO()
    call_command("reconcile_documents", "--check", stdout=out)
    assert "dead-lettered in the outbox (the relay gave up): 0" in out.getvalue()


def test_a_dead_letter_requeued_from_admin_is_retried(products_collection, settings, staff_client):
    settings.OUTBOX_DEAD_LETTER_AFTER = 1
    product = make_products(1)[0]
    bad = plant_unwritable_record(product)
    apply_pending()
    bad.refresh_from_db()
    assert bad.dead_lettered_at is not None
    response = staff_client.post(
        reverse("admin:catalog_service_outboxrecord_changelist"),
        {"action": "requeue_dead_letters", "_selected_action": [bad.pk]},
    )
    assert response.status_code == 302
    bad.refresh_from_db()
    assert (bad.dead_lettered_at, bad.rejections, bad.applied_at) == (None, 0, None)
    assert apply_pending().failed == 1  # still refused, as it must be: the value is the same
