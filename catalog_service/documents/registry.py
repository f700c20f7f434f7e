"""Which fields of a model are document fields: the lowest module of the documents package.

Everything that converts, loads, records or applies documents asks here, so none of it imports
the field classes (``fields``), which sit above the loading they trigger.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.db import models


class DocumentField(Protocol):
    """What the documents machinery needs of a document field (see ``fields.DocumentFieldMixin``)."""

    attname: str
    is_document_field: bool

    def get_default(self) -> Any: ...

    def to_json(self, value: Any) -> Any: ...

    def from_json(self, value: Any) -> Any: ...

    def to_document(self, value: Any) -> Any: ...

    def from_document(self, value: Any) -> Any: ...


def document_fields(model: type[models.Model]) -> dict[str, DocumentField]:
    """Return ``model``'s document fields by name, in declaration order."""
    cache = model.__dict__.get("_document_fields_cache")
    if cache is None:
        cache = {f.attname: f for f in model._meta.private_fields if getattr(f, "is_document_field", False)}
        model._document_fields_cache = cache
    return cache
