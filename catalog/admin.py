from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import router, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from catalog.models import Product
from catalog_service.db.state import use_primary
from catalog_service.documents.client import get_collection
from catalog_service.documents.loading import load_documents_or_recorded
from catalog_service.documents.models import OutboxRecord
from catalog_service.documents.reconcile import dead_lettered

SEARCH_LIMIT = 1000
# The versions of the products this session opened, for a post without the form's hidden field.
OPENED_VERSIONS = "catalog_product_versions"
OPENED_VERSIONS_KEPT = 50


def remember_opened(request: HttpRequest, product: Product) -> None:
    """Note in the session the version of ``product`` this editor now sees."""
    opened = dict(request.session.get(OPENED_VERSIONS, {}))
    key = str(product.pk)
    if opened.get(key) == product.version:
        return  # unchanged: no session write
    opened.pop(key, None)
    opened[key] = product.version
    request.session[OPENED_VERSIONS] = dict(list(opened.items())[-OPENED_VERSIONS_KEPT:])


class ProductForm(forms.ModelForm):
    """The product form, with the version the editor opened: a save is refused (a form error,
    nothing written) when someone else saved the product since.

    The version comes from the form's hidden field or, for a client that posts without it, from
    the version this session last opened (``opened_version``, set by the admin); a post from a
    session that never opened the product is not checked."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    opened_version: int | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if self.instance.pk is None or "expected_version" in self.errors:
            return cleaned
        expected = cleaned.get("expected_version") or self.opened_version
        if expected is None:
            # Posted by a client that never opened the form (a script): nothing to compare with;
            # the save still records only the fields whose value it changes.
            return cleaned
        cleaned["expected_version"] = expected
        using = router.db_for_write(Product, instance=self.instance)
        query = Product.objects.using(using).filter(pk=self.instance.pk).values_list("version", flat=True)
        # Admin validates and saves in one transaction: the lock holds the row until the save,
        # so no other save can land between this check and ours.
        if transaction.get_connection(using).in_atomic_block:
            query = query.select_for_update()
        current = query.first()
        if current != expected:
            raise ValidationError(
                "Conflict: someone else saved this product (now version %(current)s) after you "
                "opened it at version %(expected)s, so nothing was saved. Reload the page to see "
                "their changes, then make yours again.",
                code="version_conflict",
                params={"current": current, "expected": expected},
            )
        return cleaned


class DocumentSyncFilter(admin.SimpleListFilter):
    title = "document sync"
    parameter_name = "document_sync"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("dead-lettered", "dead-lettered in the outbox")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "dead-lettered":
            dead = OutboxRecord.objects.filter(
                model_label=Product._meta.label, dead_lettered_at__isnull=False
            ).values("object_id")
            return queryset.filter(pk__in=dead)
        return queryset


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    form = ProductForm
    # name and price come from MongoDB: the page's products load them in one batched query.
    list_display = ("sku", "name", "price", "category", "is_published", "version", "updated_at")
    list_select_related = ("category",)
    # Document fields cannot be sorted in SQL.
    sortable_by = ("sku", "category", "is_published", "version", "updated_at")
    list_filter = ("is_published", DocumentSyncFilter)
    search_fields = ("sku",)
    search_help_text = "Search by SKU or by product name."
    autocomplete_fields = ("category",)
    readonly_fields = ("version", "created_at", "updated_at", "document_sync")
    fields = (
        "sku", "category", "is_published", "name", "description", "price", "attributes", "images",
        "version", "created_at", "updated_at", "document_sync", "expected_version",
    )  # fmt: skip

    @admin.display(description="document sync")
    def document_sync(self, obj: Product) -> str:
        """Whether MongoDB refused a change of this product (the relay dead-lettered it)."""
        if obj.pk is None:
            return "-"
        with use_primary():  # like the row on this page: a replica may not have the dead letter yet
            error = dead_lettered(Product, [obj.pk]).get(obj.pk)
        if error is None:
            return "ok"
        return (
            f"Dead-lettered: MongoDB refused a recorded change ({error[:300]}); the document keeps "
            "the last change it took. Saving records a new version over that one."
        )

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Product | None:
        """The product with its document; during a MongoDB outage, the newest one recorded in the
        outbox, so staff can still edit (the save goes through the outbox as always).

        The row comes from the primary: a replica's lag would show an older version, and the
        save would be refused as a conflict."""
        with use_primary():
            obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            load_documents_or_recorded(Product, [obj])
            if request.method == "GET":
                remember_opened(request, obj)
        return obj

    def get_form(
        self, request: HttpRequest, obj: Product | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm]:
        form = super().get_form(request, obj, change, **kwargs)
        if obj is None:
            return form
        opened = request.session.get(OPENED_VERSIONS, {}).get(str(obj.pk))
        return type(form.__name__, (form,), {"opened_version": opened})

    def save_model(self, request: HttpRequest, obj: Product, form: forms.ModelForm, change: bool) -> None:
        # The form checked the version under the row's lock; the save checks it again for a form
        # validated outside a transaction.
        obj.save(expected_version=form.cleaned_data.get("expected_version") if change else None)
        remember_opened(request, obj)  # this editor's own save is the version they now have

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        """Match SKUs in SQL and names in MongoDB (the term is matched literally, never as an operator)."""
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = search_term.strip()
        if term:
            pattern = {"$regex": re.escape(term), "$options": "i"}
            ids = [
                doc["_id"]
                for doc in get_collection(Product).find({"name": pattern}, {"_id": 1}).limit(SEARCH_LIMIT)
            ]
            queryset = queryset | self.model.objects.filter(pk__in=ids)
        return queryset, may_have_duplicates
