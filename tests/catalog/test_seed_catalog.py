import io

import pytest
from django.core.management import CommandError, call_command

from catalog import seeding
from catalog.models import Product
from categories.models import Category


def test_the_tree_has_three_levels_and_the_requested_size():
    tree = seeding.category_tree(300)
    assert len(tree) == 300
    depth = {}
    for spec in tree:
        depth[spec.key] = 0 if spec.parent_key is None else depth[spec.parent_key] + 1
    assert set(depth.values()) == {0, 1, 2}
    assert len({spec.slug for spec in tree}) == 300


def test_products_are_deterministic_and_realistic():
    tree = seeding.category_tree(30)
    first = list(seeding.products(tree, 50, seed=7))
    again = list(seeding.products(tree, 50, seed=7))
    other = list(seeding.products(tree, 50, seed=8))
    assert [(p.sku, p.category_key, p.document) for p in first] == [
        (p.sku, p.category_key, p.document) for p in again
    ]
    assert [p.document for p in first] != [p.document for p in other]
    leaves = set(seeding.leaf_keys(tree))
    for product in first:
        assert product.category_key in leaves
        doc = product.document
        assert len(doc["name"].split()) >= 4
        assert doc["price"] > 0 and doc["price"].as_tuple().exponent == -2
        assert doc["images"] and all(url.startswith("https://") for url in doc["images"])
        assert {"brand", "color"} <= set(doc["attributes"])


# --reset truncates, which cannot run inside the test's wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_seed_catalog_builds_the_catalog_and_refuses_to_overwrite_it():
    call_command("seed_catalog", categories=12, products=300, seed=3)
    assert Category.objects.count() == 12
    assert Product.objects.count() == 300
    assert Category.objects.filter(parent__parent__isnull=False).exists()  # three levels
    skus = list(Product.objects.order_by("sku").values_list("sku", "category__slug")[:5])

    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_catalog", categories=12, products=300)
    call_command("seed_catalog", categories=12, products=300, seed=3, if_empty=True)
    assert Product.objects.count() == 300

    call_command("seed_catalog", categories=12, products=300, seed=3, reset=True)
    assert Product.objects.count() == 300
    assert list(Product.objects.order_by("sku").values_list("sku", "category__slug")[:5]) == skus


@pytest.mark.django_db
def test_seed_catalog_rejects_a_tree_too_small():
    with pytest.raises(CommandError, match="--categories"):
        call_command("seed_catalog", categories=2, products=1)


@pytest.mark.django_db(transaction=True)
def test_seeding_shows_its_progress(products_collection, monkeypatch):
    from catalog_service import progress

    monkeypatch.setattr(progress, "LOG_EVERY_SECONDS", 0)  # a line per batch, as a long run logs
    monkeypatch.setattr("catalog.management.commands.seed_catalog.BATCH_SIZE", 100)
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_catalog", categories=6, products=250, stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("seeding: 100 of 250 products (40 %), ") and "s left" in lines[0]
    assert any(
        line.startswith("seeding: 250 of 250 products (100 %), ") and "done in" in line for line in lines
    )
    assert any(line.startswith("loading documents: 250 of 250 documents (100 %)") for line in lines)
    assert "seeded 6 categories and 250 products" in out.getvalue()  # stdout stays one line for scripts
