"""Admin of the outbox: what the relay has not applied, dead letters first, and their requeue."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import F, QuerySet
from django.http import HttpRequest

from catalog_service.documents.models import OutboxRecord
from catalog_service.documents.relay import requeue


class OutboxStateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("dead-lettered", "dead-lettered"), ("pending", "pending"), ("applied", "applied")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "dead-lettered":
            return queryset.filter(dead_lettered_at__isnull=False)
        if self.value() == "pending":
            return queryset.filter(applied_at__isnull=True, dead_lettered_at__isnull=True)
        if self.value() == "applied":
            return queryset.filter(applied_at__isnull=False)
        return queryset


class OutboxRecordAdmin(admin.ModelAdmin):
    """Read-only: records are written by saves and by the relay, never by hand."""

    list_display = (
        "model_label", "object_id", "version", "operation", "state", "attempts", "rejections",
        "next_attempt_at", "dead_lettered_at", "error",
    )  # fmt: skip
    list_filter = (OutboxStateFilter, "model_label", "operation")
    search_fields = ("=object_id",)
    ordering = (F("dead_lettered_at").desc(nulls_last=True), "-id")  # dead letters first
    actions = ("requeue_dead_letters",)

    @admin.display(description="last error")
    def error(self, record: OutboxRecord) -> str:
        return record.last_error[:200]

    @admin.action(description="Requeue the selected dead-lettered records", permissions=["change"])
    def requeue_dead_letters(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = requeue(queryset)
        self.message_user(request, f"{count} dead-lettered record(s) requeued.", messages.SUCCESS)

    def get_readonly_fields(self, request: HttpRequest, obj: OutboxRecord | None = None) -> list[str]:
        return [f.name for f in OutboxRecord._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
