"""Batch loading of documents for model instances: one ``find`` with ``$in`` per batch."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import models, router
from pymongo.errors import PyMongoError

from catalog_service.documents.client import get_collection
from catalog_service.documents.codec import remember_loaded
from catalog_service.documents.models import OutboxRecord
from catalog_service.documents.outbox import latest_documents
from catalog_service.documents.registry import document_fields
from catalog_service.documents.state import document_state


def load_documents(
    model: type[models.Model], instances: Sequence[models.Model], names: Iterable[str] | None = None
) -> None:
    """Fill the document values ``names`` (all when None) of ``instances`` with one query.

    Values assigned but not saved are kept; a missing document leaves the defaults.
    """
    fields = document_fields(model)
    wanted = list(fields) if names is None else [n for n in names if n in fields]
    pending = [obj for obj in instances if obj.pk is not None]
    if not wanted or not pending:
        return
    # Fetch only what no instance has yet: a lazy load after a projected batch load asks for the rest.
    missing = [n for n in wanted if any(n not in document_state(obj).fetched for obj in pending)]
    if not missing:
        return
    ids = [obj.pk for obj in pending]
    projection = dict.fromkeys(missing, 1)
    found = {doc["_id"]: doc for doc in get_collection(model).find({"_id": {"$in": ids}}, projection)}
    for obj in pending:
        state = document_state(obj)
        doc = found.get(obj.pk, {})
        for name in missing:
            state.fetched.add(name)
            stored = fields[name].from_document(doc[name]) if name in doc else fields[name].get_default()
            remember_loaded(obj, name, stored)
            if name not in state.changed:  # a value assigned but not saved is kept
                state.values[name] = stored


def load_documents_or_recorded(model: type[models.Model], instances: Sequence[models.Model]) -> None:
    """Fill every document value of ``instances`` from MongoDB or, when MongoDB cannot be
    reached, from each object's newest outbox record: the document MongoDB will hold once the
    relay catches up, so an editor can still open and save it during an outage.

    Re-raises the MongoDB error when an object has no recorded document (its defaults would
    then overwrite the real document on save).
    """
    try:
        load_documents(model, instances)
        return
    except PyMongoError:
        pending = [obj for obj in instances if obj.pk is not None]
        recorded = latest_documents(
            model, [obj.pk for obj in pending], using=router.db_for_read(OutboxRecord)
        )
        if any(obj.pk not in recorded for obj in pending):
            raise
    fields = document_fields(model)
    for obj in pending:
        state = document_state(obj)
        doc = recorded[obj.pk]
        for name, field in fields.items():
            state.fetched.add(name)
            stored = field.from_json(doc[name]) if name in doc else field.get_default()
            remember_loaded(obj, name, stored)
            if name not in state.changed:
                state.values[name] = stored
