"""Recording document changes in the outbox, in the caller's transaction."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from functools import partial
from typing import Any

from django.db import connections, models, transaction
from pymongo.errors import PyMongoError

from catalog_service.documents.codec import changed_document_fields, instance_to_json, remember_loaded
from catalog_service.documents.models import OutboxRecord
from catalog_service.documents.registry import document_fields
from catalog_service.documents.relay import apply_objects
from catalog_service.documents.state import document_state

log = logging.getLogger(__name__)


def latest_documents(
    model: type[models.Model], ids: Iterable[int], *, using: str
) -> dict[int, dict[str, Any]]:
    """Return object id -> the newest recorded document of each of ``ids`` that has one.

    Dead-lettered records are left out: MongoDB never took them, so the next write builds on
    the newest document that can be applied (and supersedes the rejected one).
    """
    rows = (
        OutboxRecord.objects.using(using)
        .filter(
            model_label=model._meta.label,
            object_id__in=list(ids),
            operation=OutboxRecord.UPSERT,
            dead_lettered_at__isnull=True,
        )
        .order_by("object_id", "-version")
        .distinct("object_id")
        .values_list("object_id", "document")
    )
    return dict(rows)


def _full_document(instance: models.Model) -> dict[str, Any]:
    try:
        return instance_to_json(instance)
    except PyMongoError:
        # No recorded base and MongoDB unreachable: record what this instance knows.
        state = document_state(instance)
        log.warning("recording a partial document for %r: MongoDB is unreachable", instance)
        return instance_to_json(instance, names=state.changed | set(state.values))


def record_upserts(
    model: type[models.Model],
    instances: Sequence[models.Model],
    *,
    using: str,
    created: bool,
    apply: bool = True,
) -> list[OutboxRecord]:
    """Record the documents of saved ``instances`` (each at its current ``version``).

    A created instance records all its document values. An updated one records only the values
    that differ from those it loaded (``changed_document_fields``; a form assigns every field)
    over the newest recorded document, read under the row lock the caller holds, so two writers
    who change different fields both keep their change. With ``apply=False`` the
    caller writes the documents itself (the relay applies whatever it does not). Returns
    the records.
    """
    bases = {} if created else latest_documents(model, [obj.pk for obj in instances], using=using)
    fields = document_fields(model)
    records = []
    for obj in instances:
        state = document_state(obj)
        if created or obj.pk not in bases:
            doc = _full_document(obj)
            changed = sorted(name for name in fields if name in doc)
        else:
            changed = sorted(changed_document_fields(obj))
            doc = {**bases[obj.pk], **instance_to_json(obj, names=set(changed))}
        records.append(
            OutboxRecord(
                model_label=model._meta.label,
                object_id=obj.pk,
                version=obj.version,
                operation=OutboxRecord.UPSERT,
                document=doc,
                changed_fields=changed,
            )
        )
        # The saving instance sees the saved document at once, without reading MongoDB.
        for name, field in fields.items():
            if name in doc:
                state.values[name] = field.from_json(doc[name])
                state.fetched.add(name)
                remember_loaded(obj, name, state.values[name])
        state.changed.clear()
    OutboxRecord.objects.using(using).bulk_create(records)
    if apply:
        _apply_after_commit(model, [obj.pk for obj in instances], using=using)
    hook = getattr(model, "documents_recorded", None)
    if hook is not None:
        hook(
            {obj.pk: bases.get(obj.pk) for obj in instances},
            {r.object_id: r.document for r in records},
            using=using,
        )
    return records


def record_deletes(model: type[models.Model], versions: dict[int, int], *, using: str) -> None:
    """Record the deletion of the objects ``versions`` names (id -> version the caller knows).

    The delete's version follows the newest recorded one, which may be newer than the
    instance the caller holds.
    """
    table = OutboxRecord._meta.db_table
    with connections[using].cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table}
                (model_label, object_id, version, operation, document, created_at,
                 attempts, next_attempt_at, last_error)
            SELECT %s, t.object_id,
                   GREATEST(t.known, (SELECT MAX(o.version) FROM {table} o
                                      WHERE o.model_label = %s AND o.object_id = t.object_id)) + 1,
                   %s, NULL, now(), 0, now(), ''
            FROM unnest(%s::bigint[], %s::bigint[]) AS t(object_id, known)
            """,
            [
                model._meta.label,
                model._meta.label,
                OutboxRecord.DELETE,
                list(versions),
                list(versions.values()),
            ],
        )
    _apply_after_commit(model, list(versions), using=using)


def _apply_after_commit(model: type[models.Model], ids: list[int], *, using: str) -> None:
    transaction.on_commit(partial(apply_objects, model._meta.label, ids, using=using), using=using)
