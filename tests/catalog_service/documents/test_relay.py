"""Several relays at once: records are claimed with FOR UPDATE SKIP LOCKED, never twice."""

import threading
from concurrent.futures import ThreadPoolExecutor

from django.db import connection, transaction

from catalog_service.documents.models import OutboxRecord
from catalog_service.documents.relay import apply_pending
from tests.factories import make_products


def make_pending(n):
    products = make_products(n)
    OutboxRecord.objects.update(applied_at=None, next_attempt_at="2000-01-01T00:00Z")
    return [p.pk for p in products]


def test_a_relay_skips_records_another_relay_holds(products_collection):
    ids = make_pending(4)
    held, release = threading.Event(), threading.Event()

    def other_relay():
        try:
            with transaction.atomic():
                list(OutboxRecord.objects.select_for_update(skip_locked=True).filter(object_id__in=ids[:2]))
                held.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_relay)
    thread.start()
    try:
        assert held.wait(10)
        result = apply_pending()  # does not wait for the other relay's locks
        assert result.applied == 2
        pending = OutboxRecord.objects.filter(applied_at__isnull=True).values_list("object_id", flat=True)
        assert sorted(pending) == ids[:2]
    finally:
        release.set()
        thread.join()
    assert apply_pending().applied == 2
    assert products_collection.count_documents({}) == 4


def test_concurrent_relays_write_each_record_once(products_collection, mongo_commands):
    ids = make_pending(600)
    products_collection.delete_many({})

    def relay(_):
        applied = 0
        try:
            while (result := apply_pending(limit=50)).claimed:
                applied += result.applied
        finally:
            connection.close()
        return applied

    with mongo_commands() as commands, ThreadPoolExecutor(3) as pool:
        applied = list(pool.map(relay, range(3)))
    assert sum(applied) == 600
    written = [u["q"]["_id"] for c in commands if c["name"] == "update" for u in c["command"]["updates"]]
    assert sorted(written) == ids  # each object written exactly once, across all relays
    assert products_collection.count_documents({}) == 600
    assert not OutboxRecord.objects.filter(applied_at__isnull=True).exists()
