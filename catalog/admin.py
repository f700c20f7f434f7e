from __future__ import annotations

import re

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from catalog.models import Product
from catalog_service.documents.client import get_collection
from catalog_service.documents.loading import load_documents_or_recorded

SEARCH_LIMIT = 1000


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    # name and price come from MongoDB: the page's products load them in one batched query.
    list_display = ("sku", "name", "price", "category", "is_published", "version", "updated_at")
    list_select_related = ("category",)
    # Document fields cannot be sorted in SQL.
    sortable_by = ("sku", "category", "is_published", "version", "updated_at")
    list_filter = ("is_published",)
    search_fields = ("sku",)
    search_help_text = "Search by SKU or by product name."
    autocomplete_fields = ("category",)
    readonly_fields = ("version", "created_at", "updated_at")
    fields = (
        "sku", "category", "is_published", "name", "description", "price", "attributes", "images",
        "version", "created_at", "updated_at",
    )  # fmt: skip

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Product | None:
        """The product with its document; during a MongoDB outage, the newest one recorded in the
        outbox, so staff can still edit (the save goes through the outbox as always)."""
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            load_documents_or_recorded(Product, [obj])
        return obj

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
