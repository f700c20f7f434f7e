"""The outbox: document changes recorded in the same Postgres transaction as the row."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class OutboxRecord(models.Model):
    """One version of one object's document, to be applied to MongoDB.

    ``document`` is the whole document as of ``version`` (the fields this write changed,
    named in ``changed_fields``, over the newest recorded document, merged under the row's
    lock), so the newest record alone restores the document; the relay keeps it after applying
    it as the base for the next change and for reconciliation, and deletes older ones.

    A record MongoDB (or BSON encoding) rejects is retried with backoff; after
    ``OUTBOX_DEAD_LETTER_AFTER`` rejections it is dead-lettered (``dead_lettered_at``): the relay
    leaves it and applies the rest, and ``reconcile_documents`` and Admin show it. An outage
    (MongoDB unreachable) only backs off: it says nothing about the record.
    """

    UPSERT = "upsert"
    DELETE = "delete"

    model_label = models.CharField(max_length=100)
    object_id = models.BigIntegerField()
    version = models.PositiveBigIntegerField()
    operation = models.CharField(max_length=10, choices=[(UPSERT, "upsert"), (DELETE, "delete")])
    document = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    applied_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True, default="")
    # db_default: the previous release inserts records without naming the new columns.
    rejections = models.PositiveIntegerField(default=0, db_default=0)
    dead_lettered_at = models.DateTimeField(null=True, blank=True)
    changed_fields = models.JSONField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("model_label", "object_id", "version"), name="outbox_object_version"
            ),
        ]
        indexes = [
            models.Index(
                fields=("next_attempt_at", "id"),
                condition=models.Q(applied_at__isnull=True),
                name="outbox_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model_label}#{self.object_id} v{self.version} {self.operation}"

    @property
    def state(self) -> str:
        """``applied``, ``dead-lettered`` or ``pending``."""
        if self.applied_at is not None:
            return "applied"
        return "dead-lettered" if self.dead_lettered_at is not None else "pending"
