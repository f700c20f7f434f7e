import pytest
from django.db import IntegrityError
from django.db.models import ProtectedError

from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_categories_form_a_tree_ordered_by_position():
    root = CategoryFactory(name="Root")
    second = CategoryFactory(parent=root, position=2, name="B")
    first = CategoryFactory(parent=root, position=1, name="A")
    assert list(root.children.all()) == [first, second]
    assert first.parent == root
    assert first.created_at is not None and first.updated_at is not None


def test_slug_is_unique():
    CategoryFactory(slug="dup")
    with pytest.raises(IntegrityError):
        CategoryFactory(slug="dup")


def test_a_category_with_products_or_children_is_protected():
    category = CategoryFactory()
    ProductFactory(category=category)
    with pytest.raises(ProtectedError):
        category.delete()
    parent = CategoryFactory()
    CategoryFactory(parent=parent)
    with pytest.raises(ProtectedError):
        parent.delete()
