"""QuerySet and manager that batch-load documents for the instances they return."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any

from django.db import models, router, transaction
from django.db.models.query import ModelIterable

from catalog_service.documents.codec import mirror_fields
from catalog_service.documents.loading import load_documents
from catalog_service.documents.outbox import record_upserts
from catalog_service.documents.registry import document_fields


class DocumentModelIterable(ModelIterable):
    """Yields model instances with their documents loaded: one ``find`` per batch of rows.

    A batch is the whole result, or one chunk of ``iterator(chunk_size)``. A lone instance
    is left to load lazily on first access, so fetching one row costs no MongoDB round trip
    unless a document field is read.
    """

    def __iter__(self) -> Iterator[models.Model]:
        names = self.queryset._document_names
        rows = super().__iter__()
        if names == ():
            yield from rows
            return
        size = self.chunk_size if self.chunked_fetch else None
        while batch := list(islice(rows, size)):
            if len(batch) > 1:
                load_documents(self.queryset.model, batch, names)
            yield from batch
            if size is None:
                return


class DocumentQuerySet(models.QuerySet):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._iterable_class = DocumentModelIterable
        self._document_names: tuple[str, ...] | None = None

    def _clone(self) -> DocumentQuerySet:
        clone = super()._clone()
        clone._document_names = self._document_names
        return clone

    def documents(self, *names: str) -> DocumentQuerySet:
        """Fetch only these document fields in the batch load (the rest load lazily if read)."""
        unknown = set(names) - set(document_fields(self.model))
        if unknown:
            raise ValueError(f"not document fields of {self.model.__name__}: {sorted(unknown)}")
        clone = self._chain()
        clone._document_names = tuple(names)
        return clone

    def without_documents(self) -> DocumentQuerySet:
        """Fetch no documents in batch (each instance still loads its own lazily if read)."""
        return self.documents()

    def bulk_create(self, objs: Iterable[models.Model], *args: Any, **kwargs: Any) -> list[models.Model]:
        """Insert rows and record their documents in the outbox, in one transaction."""
        objs = list(objs)
        self._for_write = True  # as Django's bulk_create does: self.db is then the write alias
        using = self.db
        for obj in objs:
            obj.version = 1
        with transaction.atomic(using=using, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            record_upserts(self.model, created, using=using, created=True)
        return created

    def update(self, **kwargs: Any) -> int:
        """Update rows; document values and mirrored columns are synced through the outbox."""
        fields = document_fields(self.model)
        mirrored = set(mirror_fields(self.model))
        document_values = {k: v for k, v in kwargs.items() if k in fields}
        # Every update goes through the outbox (a version bump and the document hooks, which
        # invalidate caches), unless the model opts out for columns its documents never show.
        touches_document = document_values or any(
            self.model._meta.get_field(k).attname in mirrored for k in kwargs if k not in fields
        )
        if not touches_document and not getattr(self.model, "document_hooks_on_every_update", True):
            return super().update(**kwargs)
        for name, value in kwargs.items():
            copied = name in fields or self.model._meta.get_field(name).attname in mirrored
            if copied and hasattr(value, "resolve_expression"):
                raise TypeError(
                    f"{name} is copied to the document: update() takes a value, not an expression"
                )
        using = router.db_for_write(self.model)
        relational = {k: v for k, v in kwargs.items() if k not in fields}
        with transaction.atomic(using=using, savepoint=False):
            locked = list(
                self.model._default_manager.using(using)
                .without_documents()
                .select_for_update()
                .filter(pk__in=self.values("pk"))
                .order_by("pk")
            )
            if not locked:
                return 0
            pks = [obj.pk for obj in locked]
            for obj in locked:
                obj.version += 1
                for name, value in relational.items():
                    setattr(obj, name, value)
                for name, value in document_values.items():
                    setattr(obj, name, value)
            base = self.model._default_manager.using(using).filter(pk__in=pks)
            super(DocumentQuerySet, base).update(version=models.F("version") + 1, **relational)
            record_upserts(self.model, locked, using=using, created=False)
        return len(locked)


class DocumentManager(models.Manager.from_queryset(DocumentQuerySet)):
    pass
