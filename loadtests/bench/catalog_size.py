"""Print the catalog's size as ``<rows> <documents>``: the products in Postgres and their
documents in MongoDB. Run under the run's environment as ``python -m loadtests.bench.catalog_size``;
``database.measure_catalog`` reads its answer."""

from __future__ import annotations


def parse(output: str) -> tuple[int, int]:
    """Return (rows, documents) from this program's output (its last line; Django may log first)."""
    rows, documents = (int(n) for n in output.strip().splitlines()[-1].split())
    return rows, documents


def main() -> None:
    # Django's models import only once django.setup() has read the run's settings.
    import django

    django.setup()
    # Importable only after setup.
    from catalog.models import Product
    from catalog_service.documents.client import get_collection

    print(Product.objects.count(), get_collection(Product).estimated_document_count())


if __name__ == "__main__":
    main()
