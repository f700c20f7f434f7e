"""Model fields whose values live in a MongoDB document instead of a table column.

Each is a Django field class with the document mixin: it keeps the validation, form field and
DRF serializer mapping of its Django base, but has no column (``concrete`` is False, so
migrations and SQL ignore it) and reads and writes through ``DocumentFieldDescriptor``.

The field classes are the top of the package's stack: the descriptor loads documents through
``loading``, and nothing below asks for these classes (``registry`` finds a model's fields).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, URLValidator
from django.db import models

from catalog_service.documents.limits import INT64_MAX, INT64_MIN, MAX_INDEXED_BYTES
from catalog_service.documents.loading import load_documents
from catalog_service.documents.state import document_state


class DocumentFieldDescriptor:
    """Reads a document value (fetching the instance's document lazily, once) and tracks writes."""

    def __init__(self, field: DocumentFieldMixin) -> None:
        self.field = field

    def __get__(self, instance: models.Model | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        name = self.field.attname
        state = document_state(instance)
        if name not in state.values:
            if name not in state.fetched and instance.pk is not None and not instance._state.adding:
                load_documents(type(instance), [instance])
            if name not in state.values:
                state.values[name] = self.field.get_default()
        return state.values[name]

    def __set__(self, instance: models.Model, value: Any) -> None:
        state = document_state(instance)
        state.values[self.field.attname] = value
        state.changed.add(self.field.attname)


class DocumentFieldMixin:
    """Makes a Django field document-backed: no column, values in the model's document."""

    is_document_field = True

    def get_attname_column(self) -> tuple[str, None]:
        # No column: Django treats the field as non-concrete, so no SQL or migration sees it.
        return self.get_attname(), None

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only=True)
        setattr(cls, self.attname, DocumentFieldDescriptor(self))

    def to_json(self, value: Any) -> Any:
        """Return ``value`` as JSON for the outbox."""
        return value

    def from_json(self, value: Any) -> Any:
        """Return the Python value of an outbox JSON value."""
        return value

    def to_document(self, value: Any) -> Any:
        """Return ``value`` as stored in MongoDB."""
        return value

    def from_document(self, value: Any) -> Any:
        """Return the Python value of a stored MongoDB value."""
        return value


class DocumentCharField(DocumentFieldMixin, models.CharField):
    pass


class DocumentTextField(DocumentFieldMixin, models.TextField):
    pass


class DocumentDecimalField(DocumentFieldMixin, models.DecimalField):
    """A decimal stored as Decimal128, quantized to ``decimal_places``."""

    def __init__(self, *args: Any, min_value: Decimal | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if min_value is not None:
            self.validators.append(MinValueValidator(min_value))

    def _quantize(self, value: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).quantize(Decimal(1).scaleb(-self.decimal_places))

    def to_json(self, value: Any) -> str | None:
        value = self._quantize(value)
        return None if value is None else str(value)

    def from_json(self, value: Any) -> Decimal | None:
        return self._quantize(value)

    def to_document(self, value: Any) -> Decimal128 | None:
        value = self._quantize(value)
        return None if value is None else Decimal128(value)

    def from_document(self, value: Any) -> Decimal | None:
        if isinstance(value, Decimal128):
            value = value.to_decimal()
        return self._quantize(value)


_SCALARS = (str, int, float, bool)


def _scalar_error(key: str, item: Any) -> str | None:
    """Return why ``item`` cannot be stored and indexed as attribute ``key``'s value, or None."""
    if not isinstance(item, _SCALARS):
        return f"Attribute {key!r} must be text, a number, a boolean, or a list of those."
    if isinstance(item, int) and not isinstance(item, bool) and not INT64_MIN <= item <= INT64_MAX:
        return f"Attribute {key!r}: integers must lie between -2**63 and 2**63 - 1 (64-bit)."
    if isinstance(item, float) and not math.isfinite(item):
        return f"Attribute {key!r}: numbers must be finite."
    if isinstance(item, str) and len(key.encode()) + len(item.encode()) > MAX_INDEXED_BYTES:
        return f"Attribute {key!r}: name and text together must be at most {MAX_INDEXED_BYTES} bytes."
    return None


def validate_attributes(value: Any) -> None:
    """Accept a mapping of text to text, number, boolean, or a list of those, within what BSON
    and the attributes' wildcard index hold (64-bit integers, finite numbers, short texts)."""
    if not isinstance(value, Mapping):
        raise ValidationError("Attributes must be an object mapping names to values.")
    for key, item in value.items():
        if not isinstance(key, str) or not key or key.startswith("$") or "." in key:
            raise ValidationError(f"Attribute name {key!r} is not allowed (no '$' prefix or '.').")
        if len(key.encode()) > MAX_INDEXED_BYTES:
            raise ValidationError(f"Attribute names must be at most {MAX_INDEXED_BYTES} bytes.")
        for i in item if isinstance(item, list) else [item]:
            error = _scalar_error(key, i)
            if error is not None:
                raise ValidationError(error)


def validate_url_list(value: Any) -> None:
    """Accept a list of http(s) URLs."""
    if not isinstance(value, list):
        raise ValidationError("Images must be a list of URLs.")
    check = URLValidator(schemes=["http", "https"])
    for url in value:
        if not isinstance(url, str):
            raise ValidationError(f"{url!r} is not a URL.")
        check(url)


class DocumentJSONField(DocumentFieldMixin, models.JSONField):
    """A JSON value (mapping or list) stored as is."""


def attributes_field(**kwargs: Any) -> DocumentJSONField:
    """Return a document field of product-style attributes (text -> scalar or list of scalars)."""
    kwargs.setdefault("default", dict)
    kwargs.setdefault("blank", True)
    return DocumentJSONField(validators=[validate_attributes], **kwargs)


def url_list_field(**kwargs: Any) -> DocumentJSONField:
    """Return a document field holding a list of URLs."""
    kwargs.setdefault("default", list)
    kwargs.setdefault("blank", True)
    return DocumentJSONField(validators=[validate_url_list], **kwargs)
