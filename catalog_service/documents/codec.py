"""Conversions of a model's document between Python values, outbox JSON and MongoDB."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import models

from catalog_service.documents.registry import document_fields


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
