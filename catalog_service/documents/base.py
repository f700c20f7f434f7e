"""The abstract base of models with document-backed fields."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

from bson.errors import InvalidDocument
from django.core.exceptions import ValidationError
from django.db import models, router, transaction
from django.db.models.signals import class_prepared, post_delete
from django.dispatch import receiver

from catalog_service.documents.codec import instance_to_json, json_to_document
from catalog_service.documents.limits import bson_size, document_max_bytes
from catalog_service.documents.outbox import record_deletes, record_upserts
from catalog_service.documents.queryset import DocumentManager
from catalog_service.documents.registry import document_fields
from catalog_service.documents.state import reset_document_state


class VersionConflict(Exception):
    """A save expected the row at one version and found another: someone saved in between."""

    def __init__(self, instance: models.Model, expected: int, current: int | None) -> None:
        super().__init__(f"{instance!r} is at version {current}, not {expected}: saved by someone else")
        self.expected, self.current = expected, current


class DocumentModel(models.Model):
    """A model whose document fields live in one MongoDB document per row (``_id`` = pk).

    Subclasses name the collection in ``document_collection`` and may copy relational
    columns into the document with ``document_mirror_fields`` (for document-side filtering).
    """

    document_collection: ClassVar[str]
    document_mirror_fields: ClassVar[tuple[str, ...]] = ()

    # Bumped on every write; the document carries the version it was written from, so an
    # older write never overwrites a newer one.
    version = models.PositiveBigIntegerField(default=1, editable=False)

    objects = DocumentManager()

    class Meta:
        abstract = True

    def save(
        self,
        *args: Any,
        using: str | None = None,
        update_fields: Iterable[str] | None = None,
        expected_version: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Save the row and record the document in the outbox, in one transaction; the
        document reaches MongoDB right after commit.

        With ``expected_version`` (optimistic concurrency), raise ``VersionConflict`` and save
        nothing unless the row is still at that version.
        """
        using = using or router.db_for_write(type(self), instance=self)
        names = document_fields(type(self))
        if update_fields is not None:
            update_fields = (set(update_fields) - set(names)) | {"version"}
        created = self._state.adding
        with transaction.atomic(using=using, savepoint=False):
            if created:
                self.version = 1
            else:
                # The row lock orders concurrent writers, so versions strictly increase.
                current = (
                    type(self)
                    ._default_manager.using(using)
                    .select_for_update()
                    .filter(pk=self.pk)
                    .values_list("version", flat=True)
                    .first()
                )
                if expected_version is not None and current != expected_version:
                    raise VersionConflict(self, expected_version, current)
                self.version = (current or 0) + 1
            super().save(*args, using=using, update_fields=update_fields, **kwargs)
            record_upserts(type(self), [self], using=using, created=created)

    def clean(self) -> None:
        """Check that the document fits the document size limit (``DOCUMENT_MAX_BYTES``).
        Subclasses that override ``clean`` call this one."""
        super().clean()
        try:
            size = bson_size(json_to_document(type(self), instance_to_json(self)))
        except (OverflowError, InvalidDocument, ValueError, TypeError) as exc:  # field validation says which
            raise ValidationError(f"The document cannot be stored: {exc}") from exc
        if size > document_max_bytes():
            raise ValidationError(
                f"The document is {size} bytes; at most {document_max_bytes()} are allowed "
                "(shorten the description, attributes or images)."
            )

    def refresh_from_db(
        self, using: str | None = None, fields: Iterable[str] | None = None, **kwargs: Any
    ) -> None:
        """Reload the row; document fields reload lazily on next access."""
        names = set(document_fields(type(self)))
        if fields is not None:
            fields = [f for f in fields if f not in names]
            if not fields:
                reset_document_state(self)
                return
        kwargs.setdefault("from_queryset", type(self)._default_manager.without_documents())
        super().refresh_from_db(using=using, fields=fields, **kwargs)
        reset_document_state(self)

    @classmethod
    def documents_recorded(
        cls,
        previous: dict[int, dict[str, Any] | None],
        current: dict[int, dict[str, Any] | None],
        *,
        using: str,
    ) -> None:
        """Called in the writing transaction once documents are recorded (``current`` is None
        for a delete; ``previous`` is the last recorded document, None for a new object).
        Subclasses hook cache invalidation here; the default does nothing."""

    @classmethod
    def documents_applied(cls, documents: dict[int, dict[str, Any]]) -> None:
        """Called once MongoDB acknowledged these documents (outbox JSON, mirrors included)."""


def _record_document_delete(
    sender: type[models.Model], instance: models.Model, using: str, **kwargs: Any
) -> None:
    record_deletes(sender, {instance.pk: instance.version}, using=using)
    mirrors = {name: getattr(instance, name) for name in getattr(sender, "document_mirror_fields", ())}
    sender.documents_recorded({instance.pk: mirrors}, {instance.pk: None}, using=using)


@receiver(class_prepared)
def _watch_deletes(sender: type[models.Model], **kwargs: Any) -> None:
    # A post_delete receiver rather than a delete() override: it also covers QuerySet.delete()
    # and cascades. Connected per model, so other models keep Django's fast deletes.
    if issubclass(sender, DocumentModel) and not sender._meta.abstract:
        post_delete.connect(
            _record_document_delete, sender=sender, dispatch_uid=f"documents-{sender._meta.label}"
        )
