"""python manage.py ensure_document_indexes: create the MongoDB indexes the listings need."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from catalog_service.documents.indexes import ensure_indexes


class Command(BaseCommand):
    help = "Create, idempotently, the MongoDB indexes declared by document models."

    def handle(self, *args: Any, **options: Any) -> None:
        for collection, names in ensure_indexes().items():
            self.stdout.write(f"{collection}: {', '.join(names)}")
