"""Loading products with their documents: batched (ours) against one find_one per instance.

    make bench-documents            # or: bin/with-stack .venv/bin/python -m loadtests.bench_documents

Creates a throwaway category of products in the configured databases, times loading the
first 50 and 500 of them both ways in the same run (interleaved, median of the repeats), counts
SQL queries and MongoDB round trips, prints one table, and deletes what it created.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog_service.settings")
django.setup()

from django.db import connections  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from catalog.models import Product  # noqa: E402
from catalog.seeding import product_document  # noqa: E402
from catalog_service.documents.client import get_collection  # noqa: E402
from catalog_service.documents.monitoring import recorder  # noqa: E402
from categories.models import Category  # noqa: E402

SIZES = (50, 500)
SLUG = "bench-documents"


def batched(category: Category, n: int) -> list[str]:
    """Ours: one SQL query and one find with $in and a projection."""
    return [p.name for p in Product.objects.filter(category=category).order_by("id")[:n]]


def find_one_per_instance(category: Category, n: int) -> list[str]:
    """The public write-up's way: each instance fetches its own document in __init__."""
    collection = get_collection(Product)
    rows = Product.objects.without_documents().filter(category=category).order_by("id")[:n]
    return [collection.find_one({"_id": row.pk})["name"] for row in rows]


def measure(fn: Callable[[Category, int], list[str]], category: Category, n: int) -> tuple[float, int, int]:
    """Return (seconds, SQL queries, MongoDB round trips) of one call."""
    with CaptureQueriesContext(connections["default"]) as queries, recorder.record() as commands:
        start = time.perf_counter()
        names = fn(category, n)
        elapsed = time.perf_counter() - start
    assert len(names) == n
    return elapsed, len(queries), len(commands)


def create_category(n: int) -> Category:
    """Return the benchmark's own category holding ``n`` fresh products."""
    category, _ = Category.objects.get_or_create(slug=SLUG, defaults={"name": "Benchmark: documents"})
    Product.objects.filter(category=category).delete()
    rng = random.Random(4)
    Product.objects.bulk_create(
        Product(
            category=category,
            sku=f"BENCH-DOC-{i:05d}",
            **product_document(rng, f"BENCH-DOC-{i:05d}", "Bench"),
        )
        for i in range(n)
    )
    return category


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15, help="timed runs of each way (median shown)")
    args = parser.parse_args()
    category = create_category(max(SIZES))
    try:
        rows = []
        for n in SIZES:
            for fn in (batched, find_one_per_instance):  # warm both paths
                measure(fn, category, n)
            times: dict[str, list[float]] = {"batched": [], "find_one": []}
            trips = {}
            for _ in range(args.repeats):  # interleaved, so drift in the machine hits both
                for key, fn in (("batched", batched), ("find_one", find_one_per_instance)):
                    seconds, sql, mongo = measure(fn, category, n)
                    times[key].append(seconds)
                    trips[key] = (sql, mongo)
            ours, theirs = statistics.median(times["batched"]), statistics.median(times["find_one"])
            rows.append((n, ours, theirs, trips))
        print_table(rows)
    finally:
        Product.objects.filter(category=category).delete()
        category.delete()


def print_table(rows: list) -> None:
    server = get_collection(Product).database.client.server_info().get("version", "?")
    print(f"MongoDB server {server}; median of the timed runs; SQL queries / MongoDB round trips per load")
    print()
    print(
        "| products | batched (ours) | find_one per instance | speed-up "
        "| ours: SQL / Mongo | find_one: SQL / Mongo |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for n, ours, theirs, trips in rows:
        (our_sql, our_mongo), (their_sql, their_mongo) = trips["batched"], trips["find_one"]
        print(
            f"| {n} | {ours * 1000:.1f} ms | {theirs * 1000:.1f} ms | {theirs / ours:.1f}x "
            f"| {our_sql} / {our_mongo} | {their_sql} / {their_mongo} |"
        )


if __name__ == "__main__":
    main()
