"""Conversions of a model's document between Python values, outbox JSON and MongoDB."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models

from catalog_service.documents.registry import DocumentField, document_fields
from catalog_service.documents.state import document_state


def mirror_fields(model: type[models.Model]) -> tuple[str, ...]:
    """Return the relational attnames copied into the document (for document-side filtering)."""
    return tuple(getattr(model, "document_mirror_fields", ()))


def _mirror_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def instance_to_json(instance: models.Model, names: set[str] | None = None) -> dict[str, Any]:
    """Return the document values named (all when None) and the mirrored columns, as JSON."""
    fields = document_fields(type(instance))
    doc = {
        name: field.to_json(getattr(instance, name))
        for name, field in fields.items()
        if names is None or name in names
    }
    for attname in mirror_fields(type(instance)):
        doc[attname] = _mirror_json(getattr(instance, attname))
    return doc


def json_to_document(model: type[models.Model], doc: dict[str, Any]) -> dict[str, Any]:
    """Return the MongoDB form of an outbox JSON document (without ``_id`` and version)."""
    fields = document_fields(model)
    out: dict[str, Any] = {}
    for name, value in doc.items():
        if name in fields:
            out[name] = fields[name].to_document(fields[name].from_json(value))
        elif isinstance(value, str) and model._meta.get_field(name).get_internal_type() == "DateTimeField":
            out[name] = datetime.datetime.fromisoformat(value)
        else:
            out[name] = value
    return out


def canonical_json(field: DocumentField, value: Any) -> str:
    """Return ``value`` as canonical JSON text, for comparing a value with the one loaded (sorted
    keys; ``true`` and ``1`` differ, as they do in the document)."""
    return json.dumps(field.to_json(value), sort_keys=True, cls=DjangoJSONEncoder)


def remember_loaded(instance: models.Model, name: str, value: Any) -> None:
    """Note ``value`` as the stored value of document field ``name`` (loaded or just saved)."""
    document_state(instance).loaded[name] = canonical_json(document_fields(type(instance))[name], value)


def changed_document_fields(instance: models.Model) -> set[str]:
    """Return the document fields whose value differs from the one loaded or last saved: those
    assigned without a known stored value, and those (assigned or changed in place) that differ."""
    state = document_state(instance)
    changed = set()
    for name, field in document_fields(type(instance)).items():
        if name not in state.values:
            continue
        if name not in state.loaded:
            if name in state.changed:
                changed.add(name)
        elif canonical_json(field, state.values[name]) != state.loaded[name]:
            changed.add(name)
    return changed
