"""Applying outbox records to MongoDB: right after commit, and by the relay as a safety net."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from pymongo import DeleteOne, UpdateOne
from pymongo.errors import BulkWriteError, PyMongoError

from catalog_service.db.config import PRIMARY_ALIAS
from catalog_service.documents.client import get_collection
from catalog_service.documents.codec import json_to_document
from catalog_service.documents.limits import BSON_MAX_BYTES, bson_size
from catalog_service.documents.models import OutboxRecord

log = logging.getLogger(__name__)

BATCH_SIZE = 500
MAX_BACKOFF_SECONDS = 300
DUPLICATE_KEY = 11000
DEFAULT_DEAD_LETTER_AFTER = 5


def dead_letter_after() -> int:
    """Return how many rejections dead-letter a record (the ``OUTBOX_DEAD_LETTER_AFTER`` setting)."""
    return int(getattr(settings, "OUTBOX_DEAD_LETTER_AFTER", DEFAULT_DEAD_LETTER_AFTER))


@dataclass(frozen=True)
class Failure:
    """Why an object's write failed. ``rejected``: this record itself was refused (it cannot be
    encoded, or MongoDB answered with an error for it), as opposed to MongoDB being unreachable."""

    error: str
    rejected: bool


@dataclass
class RelayResult:
    applied: int = 0
    failed: int = 0  # dead-lettered ones included
    dead_lettered: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def claimed(self) -> int:
        return self.applied + self.failed


def backoff(attempts: int) -> timedelta:
    """Return the wait before retry number ``attempts`` (exponential, capped)."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def mongo_operation(model: type, record: OutboxRecord) -> UpdateOne | DeleteOne:
    """Return the idempotent MongoDB write of ``record``.

    An upsert is guarded by the version: a document already at this version or newer is left
    alone (MongoDB then reports a duplicate key on the upsert, which counts as applied).
    """
    if record.operation == OutboxRecord.DELETE:
        return DeleteOne({"_id": record.object_id})
    return _guarded_upsert(record, _upsert_body(model, record))


def _upsert_body(model: type, record: OutboxRecord) -> dict:
    return {**json_to_document(model, record.document), "version": record.version}


def _guarded_upsert(record: OutboxRecord, body: dict) -> UpdateOne:
    return UpdateOne(
        {"_id": record.object_id, "version": {"$lt": record.version}}, {"$set": body}, upsert=True
    )


def _checked_operation(model: type, record: OutboxRecord) -> UpdateOne | DeleteOne:
    """``mongo_operation``, after checking that BSON can hold the document (raises otherwise)."""
    if record.operation == OutboxRecord.DELETE:
        return mongo_operation(model, record)
    body = _upsert_body(model, record)
    size = bson_size(body)  # raises OverflowError or InvalidDocument for what BSON cannot hold
    if size > BSON_MAX_BYTES:
        raise ValueError(f"the document is {size} bytes, over BSON's limit of {BSON_MAX_BYTES}")
    return _guarded_upsert(record, body)


def apply_objects(model_label: str, object_ids: Iterable[int], *, using: str = PRIMARY_ALIAS) -> RelayResult:
    """Apply the due records of these objects now (the after-commit path); never raises."""
    total = RelayResult()
    ids = list(object_ids)
    try:
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start : start + BATCH_SIZE]
            condition = Q(model_label=model_label, object_id__in=chunk, next_attempt_at__lte=timezone.now())
            while True:
                result = _apply(condition, using=using)
                total.applied += result.applied
                total.failed += result.failed
                total.dead_lettered += result.dead_lettered
                total.errors += result.errors
                if result.failed or result.claimed < BATCH_SIZE:
                    break
    except Exception:  # the write committed; the relay retries whatever did not get through
        log.exception("applying %s documents after commit failed; the outbox relay will retry", model_label)
        total.failed += 1
    return total


def apply_pending(
    *, using: str = PRIMARY_ALIAS, limit: int = BATCH_SIZE, checkpoint: Callable[[str], None] | None = None
) -> RelayResult:
    """Apply up to ``limit`` pending records that are due; return what happened.

    ``checkpoint`` is called with ``"claimed"`` once records are locked and with ``"written"``
    once MongoDB acknowledged them, both before the claiming transaction commits: the
    fault-injection tests stop the relay there (``relay_outbox --pause-at``).
    """
    return _apply(Q(next_attempt_at__lte=timezone.now()), using=using, limit=limit, checkpoint=checkpoint)


def _apply(
    condition: Q, *, using: str, limit: int = BATCH_SIZE, checkpoint: Callable[[str], None] | None = None
) -> RelayResult:
    result = RelayResult()
    with transaction.atomic(using=using):
        records = list(
            OutboxRecord.objects.using(using)
            .select_for_update(skip_locked=True)
            .filter(condition, applied_at__isnull=True, dead_lettered_at__isnull=True)
            .order_by("id")[:limit]
        )
        if not records:
            return result
        if checkpoint is not None:
            checkpoint("claimed")
        # Each record holds the whole document, so only an object's newest one needs writing.
        newest: dict[tuple[str, int], OutboxRecord] = {}
        for record in records:
            key = (record.model_label, record.object_id)
            if key not in newest or record.version > newest[key].version:
                newest[key] = record
        failed_objects: dict[tuple[str, int], Failure] = {}
        by_model: dict[str, list[OutboxRecord]] = {}
        for record in newest.values():
            by_model.setdefault(record.model_label, []).append(record)
        for label, batch in by_model.items():
            failures = write_batch(label, batch)
            written = [r for r in batch if (label, r.object_id) not in failures]
            later_deletes = _deletes_newer_than(written, using)
            if later_deletes:
                failures.update(write_batch(label, later_deletes))
            failed_objects.update(failures)
            _announce_applied(label, [r for r in batch if (label, r.object_id) not in failures])
        if checkpoint is not None:
            checkpoint("written")

        now = timezone.now()
        limit_rejections = dead_letter_after()
        applied, failed = [], []
        for record in records:
            key = (record.model_label, record.object_id)
            failure = failed_objects.get(key)
            if failure is None:
                applied.append(record.pk)
                continue
            if failure.rejected and record is not newest[key]:
                # Only the newest was written and refused; the older ones stay due, so the next
                # pass applies the last version MongoDB takes.
                continue
            # Backoff per record: the others of the batch are applied meanwhile.
            record.attempts += 1
            record.next_attempt_at = now + backoff(record.attempts)
            record.last_error = failure.error[:2000]
            if failure.rejected:
                record.rejections += 1
                if record.rejections >= limit_rejections:
                    record.dead_lettered_at = now
                    log.error(
                        "outbox record %s dead-lettered after %d rejections: %s",
                        record, record.rejections, record.last_error[:500],
                        extra={"event": "relay_dead_letter", "record": record.pk},
                    )  # fmt: skip
            failed.append(record)
        OutboxRecord.objects.using(using).filter(pk__in=applied).update(applied_at=now)
        OutboxRecord.objects.using(using).bulk_update(
            failed, ["attempts", "next_attempt_at", "last_error", "rejections", "dead_lettered_at"]
        )
        _prune(
            [r for key, r in newest.items() if key not in failed_objects],
            using=using,
        )
        result.applied, result.failed = len(applied), len(failed)
        result.dead_lettered = sum(1 for r in failed if r.dead_lettered_at is not None)
        result.errors = sorted({f.error for f in failed_objects.values()})
    return result


def requeue(records: QuerySet[OutboxRecord]) -> int:
    """Make dead-lettered ``records`` pending again, due now and with their counts reset (after
    the cause is fixed, e.g. MongoDB's validation relaxed); return how many."""
    return records.filter(dead_lettered_at__isnull=False, applied_at__isnull=True).update(
        dead_lettered_at=None, rejections=0, attempts=0, next_attempt_at=timezone.now()
    )


def _deletes_newer_than(batch: list[OutboxRecord], using: str) -> list[OutboxRecord]:
    """Return the delete records of ``batch``'s upserted objects that are newer than the upserts.

    A delete may commit, and be applied by another relay, while this one holds an older upsert
    of the same object; written after it, that upsert would bring the document back (a deleted
    document has no version left to guard with). Reading the deletes after the write catches
    every such delete: it committed before its own MongoDB delete ran, and its record cannot be
    pruned while this transaction holds the older record.
    """
    upserts = {r.object_id: r for r in batch if r.operation == OutboxRecord.UPSERT}
    if not upserts:
        return []
    label = next(iter(upserts.values())).model_label
    deletes = OutboxRecord.objects.using(using).filter(
        model_label=label, object_id__in=list(upserts), operation=OutboxRecord.DELETE
    )
    return [d for d in deletes if d.version > upserts[d.object_id].version]


def _announce_applied(label: str, batch: list[OutboxRecord]) -> None:
    documents = {r.object_id: r.document for r in batch if r.operation == OutboxRecord.UPSERT and r.document}
    if not documents:
        return
    try:
        apps.get_model(label).documents_applied(documents)
    except Exception:  # the documents are written; a failing hook must not undo the relay's work
        log.exception("documents_applied hook of %s failed", label)


def write_batch(label: str, batch: list[OutboxRecord]) -> dict[tuple[str, int], Failure]:
    """Write ``batch`` to MongoDB; return the objects that failed, with the reason.

    A record that cannot be turned into a write (a value BSON cannot hold, a document over
    BSON's limit) fails alone, before anything is sent, and the rest is written: one bad record
    must not hold the queue.
    """
    model = apps.get_model(label)
    failures: dict[tuple[str, int], Failure] = {}
    operations, written = [], []
    for record in batch:
        try:
            operation = _checked_operation(model, record)
        except Exception as exc:  # any conversion error is this record's, and permanent
            failures[(label, record.object_id)] = Failure(f"{type(exc).__name__}: {exc}", rejected=True)
            continue
        operations.append(operation)
        written.append(record)
    if not operations:
        return failures
    try:
        get_collection(model).bulk_write(operations, ordered=False)
    except BulkWriteError as exc:
        failures.update(
            {
                (label, written[error["index"]].object_id): Failure(
                    error.get("errmsg", "write error"), rejected=True
                )
                for error in exc.details.get("writeErrors", [])
                if error.get("code") != DUPLICATE_KEY
            }
        )
    except PyMongoError as exc:
        unreachable = Failure(f"{type(exc).__name__}: {exc}", rejected=False)
        failures.update({(label, r.object_id): unreachable for r in written})
    return failures


def _prune(newest_applied: list[OutboxRecord], *, using: str) -> None:
    """Delete applied (and dead-lettered: superseded) records older than each object's newest.
    After a delete, all of them, pending ones included: an older upsert applied later would
    bring the document back."""
    if not newest_applied:
        return
    table = OutboxRecord._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"""
            DELETE FROM {table} o
            USING unnest(%s::text[], %s::bigint[], %s::bigint[], %s::boolean[])
                AS t(model_label, object_id, keep_from, is_delete)
            WHERE o.model_label = t.model_label AND o.object_id = t.object_id
              AND o.version < t.keep_from
              AND (o.applied_at IS NOT NULL OR o.dead_lettered_at IS NOT NULL OR t.is_delete)
            """,
            [
                [r.model_label for r in newest_applied],
                [r.object_id for r in newest_applied],
                [r.version + (1 if r.operation == OutboxRecord.DELETE else 0) for r in newest_applied],
                [r.operation == OutboxRecord.DELETE for r in newest_applied],
            ],
        )
