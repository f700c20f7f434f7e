"""Finding and repairing drift between rows and their documents.

Both sides are walked in primary-key order, in batches: rows against the documents of their
ids (missing and stale documents), then documents against the rows of their ids (orphans).
A document is stale when its version differs from the row's, or when its content differs
from the newest recorded outbox document with the row's mirrored columns. Objects with
outbox records still pending are in flight, not drift: the relay owns them. Objects with a
dead-lettered record (one the relay gave up on) are reported apart and count as drift: only a
person can tell what the rejected change should have been.

Repairs are compare-and-set on what was observed (insert for a missing document, replace or
delete only while the document still has the version seen), so a save that lands meanwhile
is never overwritten.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128
from django.db import models
from django.utils import timezone
from pymongo.errors import DuplicateKeyError

from catalog_service.db.config import PRIMARY_ALIAS
from catalog_service.documents.client import get_collection
from catalog_service.documents.codec import json_to_document, mirror_fields
from catalog_service.documents.models import OutboxRecord
from catalog_service.documents.outbox import latest_documents
from catalog_service.documents.registry import document_fields

DEFAULT_BATCH_SIZE = 1000


@dataclass
class ReconcileReport:
    """What one pass found (ids per kind of drift) and what it repaired."""

    model_label: str
    rows: int = 0
    documents: int = 0
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    orphaned: list[int] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)
    #: object id -> the error of its newest dead-lettered record
    dead_lettered: dict[int, str] = field(default_factory=dict)
    unrepairable: list[int] = field(default_factory=list)
    repaired: int = 0

    @property
    def drift(self) -> int:
        return len(self.missing) + len(self.stale) + len(self.orphaned) + len(self.dead_lettered)


def reconcile(
    model: type[models.Model],
    *,
    repair: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    using: str = PRIMARY_ALIAS,
    progress: Callable[[int], None] = lambda checked: None,
) -> ReconcileReport:
    """Compare ``model``'s rows with its documents; with ``repair``, fix the drift found.

    Returns the report. Reads the primary (``using``): a replica's lag would look like drift.
    ``progress`` is told how many rows, then documents, each batch checked.
    """
    report = ReconcileReport(model._meta.label)
    started = timezone.now()
    collection = get_collection(model)
    report.dead_lettered = dead_lettered(model, using=using)
    pending = _pending_ids(model, using=using)
    report.pending = sorted(pending)
    pending |= set(report.dead_lettered)  # neither is compared nor repaired
    mirrors = mirror_fields(model)

    for rows in _row_batches(model, batch_size, using=using):
        report.rows += len(rows)
        progress(len(rows))
        ids = [row["pk"] for row in rows if row["pk"] not in pending]
        docs = {doc["_id"]: doc for doc in collection.find({"_id": {"$in": ids}})}
        recorded = latest_documents(model, ids, using=using)
        for row in rows:
            pk = row["pk"]
            if pk in pending:
                continue
            expected = _expected(model, row, recorded.get(pk), mirrors)
            doc = docs.get(pk)
            if doc is None:
                report.missing.append(pk)
                if repair:
                    report.repaired += _insert(collection, pk, expected, report)
            elif doc.get("version") != row["version"] or (
                expected is not None and _normalize(_content(doc)) != _normalize(expected)
            ):
                report.stale.append(pk)
                if repair:
                    report.repaired += _replace(collection, pk, doc.get("version"), expected, report)

    for docs in _document_batches(collection, batch_size):
        report.documents += len(docs)
        progress(len(docs))
        ids = [doc["_id"] for doc in docs]
        existing = set(
            model._default_manager.using(using).filter(pk__in=ids).values_list("pk", flat=True).order_by()
        )
        for doc in docs:
            if doc["_id"] in existing or doc["_id"] in pending:
                continue
            report.orphaned.append(doc["_id"])
            if repair:
                result = collection.delete_one({"_id": doc["_id"], "version": doc.get("version")})
                report.repaired += result.deleted_count

    # Objects written while the pass ran may have looked drifted between two reads.
    moved = _pending_ids(model, using=using) | _recorded_since(model, started, using=using)
    for ids in (report.missing, report.stale, report.orphaned):
        ids[:] = [pk for pk in ids if pk not in moved]
    return report


def _pending_ids(model: type[models.Model], *, using: str) -> set[int]:
    return set(
        OutboxRecord.objects.using(using)
        .filter(model_label=model._meta.label, applied_at__isnull=True, dead_lettered_at__isnull=True)
        .values_list("object_id", flat=True)
    )


def dead_lettered(
    model: type[models.Model], ids: Iterable[int] | None = None, *, using: str = PRIMARY_ALIAS
) -> dict[int, str]:
    """Return object id -> the last error of its newest dead-lettered record, in id order (of
    ``ids`` only, when given)."""
    records = OutboxRecord.objects.using(using).filter(
        model_label=model._meta.label, dead_lettered_at__isnull=False
    )
    if ids is not None:
        records = records.filter(object_id__in=list(ids))
    rows = (
        records.order_by("object_id", "-version").distinct("object_id").values_list("object_id", "last_error")
    )
    return dict(rows)


def _recorded_since(model: type[models.Model], since: datetime.datetime, *, using: str) -> set[int]:
    return set(
        OutboxRecord.objects.using(using)
        .filter(model_label=model._meta.label, created_at__gte=since)
        .values_list("object_id", flat=True)
    )


def _row_batches(model: type[models.Model], batch_size: int, *, using: str) -> Iterator[list[dict[str, Any]]]:
    # Keyset pagination: each batch costs the same however far the walk has gone.
    queryset = (
        model._default_manager.using(using).order_by("pk").values("pk", "version", *mirror_fields(model))
    )
    last = None
    while True:
        batch = list((queryset if last is None else queryset.filter(pk__gt=last))[:batch_size])
        if not batch:
            return
        yield batch
        last = batch[-1]["pk"]


def _document_batches(collection: Any, batch_size: int) -> Iterator[list[dict[str, Any]]]:
    last = None
    while True:
        query = {} if last is None else {"_id": {"$gt": last}}
        batch = list(collection.find(query, {"_id": 1, "version": 1}).sort("_id", 1).limit(batch_size))
        if not batch:
            return
        yield batch
        last = batch[-1]["_id"]


def _expected(
    model: type[models.Model], row: dict[str, Any], recorded: dict[str, Any] | None, mirrors: tuple[str, ...]
) -> dict[str, Any] | None:
    """Return the document the row should have, or None when no outbox record holds its fields.

    Document fields come from the newest recorded document; mirrored columns and the version
    come from the row, which is the source of truth for them.
    """
    if recorded is None:
        return None
    names = document_fields(model)
    doc = json_to_document(model, {k: v for k, v in recorded.items() if k in names})
    doc.update({name: row[name] for name in mirrors})
    doc["version"] = row["version"]
    return doc


def _content(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_id"}


def _normalize(value: Any) -> Any:
    # MongoDB keeps datetimes to the millisecond and decimals as Decimal128.
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalize(v) for v in value]
    if isinstance(value, Decimal128):
        return value.to_decimal()
    if isinstance(value, Decimal):
        return value
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.UTC)
        return value.replace(microsecond=value.microsecond // 1000 * 1000, tzinfo=None)
    return value


def _write_or_flag(report: ReconcileReport, pk: int, expected: Any, write: Callable[[], int]) -> int:
    if expected is None:
        report.unrepairable.append(pk)
        return 0
    return write()


def _insert(collection: Any, pk: int, expected: dict[str, Any] | None, report: ReconcileReport) -> int:
    def write() -> int:
        try:
            collection.insert_one({"_id": pk, **expected})
        except DuplicateKeyError:  # written meanwhile, by a save or the relay
            return 0
        return 1

    return _write_or_flag(report, pk, expected, write)


def _replace(
    collection: Any, pk: int, seen_version: Any, expected: dict[str, Any] | None, report: ReconcileReport
) -> int:
    def write() -> int:
        return collection.replace_one({"_id": pk, "version": seen_version}, expected).modified_count

    return _write_or_flag(report, pk, expected, write)
