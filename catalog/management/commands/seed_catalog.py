"""python manage.py seed_catalog --categories C --products P [--seed S] [--reset] [--if-empty]"""

from __future__ import annotations

import json
import time
from itertools import islice
from typing import Any, TextIO

import pymongo
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction
from django.utils import timezone

from catalog import seeding
from catalog.models import Product
from catalog_service.db.config import PRIMARY_ALIAS
from catalog_service.documents.client import get_collection
from catalog_service.documents.codec import instance_to_json, json_to_document
from catalog_service.documents.models import OutboxRecord
from catalog_service.progress import Progress
from categories.models import Category

BATCH_SIZE = 5000


class Command(BaseCommand):
    help = "Build a deterministic demo catalog: a three-level category tree and its products."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--categories", type=int, default=30, help="number of categories (at least 3)")
        parser.add_argument("--products", type=int, default=1000, help="number of products")
        parser.add_argument("--seed", type=int, default=1, help="random seed (same seed, same catalog)")
        parser.add_argument("--reset", action="store_true", help="delete the existing catalog first")
        parser.add_argument("--if-empty", action="store_true", help="do nothing when products already exist")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["categories"] < 3:
            raise CommandError("--categories must be at least 3 (the tree has three levels)")
        if options["products"] < 0:
            raise CommandError("--products must not be negative")
        existing = Product.objects.using(PRIMARY_ALIAS).exists()
        if existing and options["if_empty"]:
            self.stdout.write("the catalog is not empty; nothing seeded")
            return
        if (existing or Category.objects.using(PRIMARY_ALIAS).exists()) and not options["reset"]:
            raise CommandError("the catalog is not empty; pass --reset to rebuild it")
        started = time.monotonic()
        with transaction.atomic(using=PRIMARY_ALIAS):
            if options["reset"]:
                self._reset()
            tree = seeding.category_tree(options["categories"])
            ids = self._create_categories(tree)
            count = self._create_products(tree, ids, options["products"], options["seed"])
        self.stdout.write(
            f"seeded {len(tree)} categories and {count} products in {time.monotonic() - started:.1f}s"
        )

    def _reset(self) -> None:
        tables = [Product._meta.db_table, Category._meta.db_table]
        with connections[PRIMARY_ALIAS].cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        OutboxRecord.objects.using(PRIMARY_ALIAS).filter(model_label=Product._meta.label).delete()
        # Dropped after the Postgres transaction commits, so a failed reset leaves both intact.
        transaction.on_commit(_delete_documents, using=PRIMARY_ALIAS)

    def _create_categories(self, tree: list[seeding.CategorySpec]) -> dict[int, int]:
        ids: dict[int, int] = {}
        # Parents come before children, so one bulk insert per level resolves every parent.
        for depth_specs in _levels(tree):
            objs = [
                Category(
                    name=spec.name,
                    slug=spec.slug,
                    parent_id=ids.get(spec.parent_key) if spec.parent_key is not None else None,
                    position=spec.position,
                )
                for spec in depth_specs
            ]
            Category.objects.using(PRIMARY_ALIAS).bulk_create(objs)
            ids.update({spec.key: obj.pk for spec, obj in zip(depth_specs, objs, strict=True)})
        return ids

    def _create_products(
        self, tree: list[seeding.CategorySpec], ids: dict[int, int], count: int, seed: int
    ) -> int:
        """Write products and their outbox records with COPY (bulk_create's parameter arrays
        cost most of the time at this size); the documents follow after commit."""
        documents: list[dict] = []
        specs = seeding.products(tree, count, seed)
        now = timezone.now()
        # Progress on stderr: stdout says what was seeded, for scripts.
        with Progress("seeding", count, "products", self.stderr) as progress:
            while batch := list(islice(specs, BATCH_SIZE)):
                progress.advance(_write_batch(batch, ids, now, documents))
        transaction.on_commit(lambda: _insert_documents(documents, self.stderr), using=PRIMARY_ALIAS)
        return progress.done


PRODUCT_COLUMNS = ("id", "category_id", "sku", "is_published", "created_at", "updated_at", "version")
OUTBOX_COLUMNS = (
    "model_label", "object_id", "version", "operation", "document",
    "created_at", "attempts", "next_attempt_at", "last_error",
)  # fmt: skip


def _write_batch(
    batch: list[seeding.ProductSpec], ids: dict[int, int], now: Any, documents: list[dict]
) -> int:
    """COPY one batch of products and their outbox records; keep their documents for later."""
    connection = connections[PRIMARY_ALIAS]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [Product._meta.db_table, len(batch)],
        )
        pks = [row[0] for row in cursor.fetchall()]
        objs: list[Product] = []
        for pk, spec in zip(pks, batch, strict=True):
            objs.append(
                Product(
                    pk=pk,
                    sku=spec.sku,
                    category_id=ids[spec.category_key],
                    is_published=spec.is_published,
                    created_at=now,
                    version=1,
                    **spec.document,
                )
            )
        raw = cursor.cursor
        with raw.copy(f"COPY {Product._meta.db_table} ({', '.join(PRODUCT_COLUMNS)}) FROM STDIN") as copy:
            for obj in objs:
                copy.write_row((obj.pk, obj.category_id, obj.sku, obj.is_published, now, now, 1))
        with raw.copy(f"COPY {OutboxRecord._meta.db_table} ({', '.join(OUTBOX_COLUMNS)}) FROM STDIN") as copy:
            for obj in objs:
                doc = instance_to_json(obj)
                copy.write_row((Product._meta.label, obj.pk, 1, OutboxRecord.UPSERT, json.dumps(doc),
                                now, 0, now, ""))  # fmt: skip
                documents.append({**json_to_document(Product, doc), "_id": obj.pk, "version": 1})
    return len(objs)


SEED_WRITE_TIMEOUT_SECONDS = 300


def _delete_documents() -> None:
    with pymongo.timeout(SEED_WRITE_TIMEOUT_SECONDS):
        get_collection(Product).delete_many({})


def _insert_documents(documents: list[dict], stream: TextIO) -> None:
    collection = get_collection(Product)
    with Progress("loading documents", len(documents), "documents", stream) as progress:
        for start in range(0, len(documents), BATCH_SIZE):
            batch = documents[start : start + BATCH_SIZE]
            # A bulk load, not a request: the service's operation timeout does not fit it.
            with pymongo.timeout(SEED_WRITE_TIMEOUT_SECONDS):
                collection.insert_many(batch, ordered=False)
            OutboxRecord.objects.using(PRIMARY_ALIAS).filter(
                model_label=Product._meta.label,
                object_id__in=[doc["_id"] for doc in batch],
                applied_at__isnull=True,
            ).update(applied_at=timezone.now())
            progress.advance(len(batch))


def _levels(tree: list[seeding.CategorySpec]) -> list[list[seeding.CategorySpec]]:
    depth: dict[int, int] = {}
    for spec in tree:
        depth[spec.key] = 0 if spec.parent_key is None else depth[spec.parent_key] + 1
    levels: list[list[seeding.CategorySpec]] = [[] for _ in range(max(depth.values()) + 1)]
    for spec in tree:
        levels[depth[spec.key]].append(spec)
    return levels
