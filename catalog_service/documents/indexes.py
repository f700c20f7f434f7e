"""The MongoDB indexes each document model declares, created idempotently."""

from __future__ import annotations

from django.apps import apps
from pymongo import IndexModel

from catalog_service.documents.client import get_collection


def document_models() -> list[type]:
    """Return every installed model with a document collection."""
    return [m for m in apps.get_models() if getattr(m, "document_collection", None)]


def ensure_indexes() -> dict[str, list[str]]:
    """Create every declared index (create_indexes is a no-op for existing ones); return
    collection -> index names."""
    created: dict[str, list[str]] = {}
    for model in document_models():
        specs: list[IndexModel] = list(getattr(model, "document_indexes", ()))
        if specs:
            created[model.document_collection] = get_collection(model).create_indexes(specs)
    return created
