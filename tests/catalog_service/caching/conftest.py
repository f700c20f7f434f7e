"""The caching tests' shop, and both interfaces: each test that uses ``client`` runs on the
WSGI views and on the ASGI ones (as the API tests do)."""

from decimal import Decimal

import pytest

from catalog.models import Product
from tests.factories import CategoryFactory


@pytest.fixture
def shop(products_collection):
    """Home > (Kitchen, Garden): 150 products; prices repeat (ties), attributes vary, a few unpublished."""
    home = CategoryFactory(name="Home", slug="home")
    kitchen = CategoryFactory(name="Kitchen", slug="kitchen", parent=home, position=1)
    garden = CategoryFactory(name="Garden", slug="garden", parent=home, position=2)
    CategoryFactory(name="Empty", slug="empty")
    products = []
    for i in range(150):
        category = (kitchen, garden, home)[i % 3]
        attributes = {
            "color": ("red", "blue", "green")[i % 3 if i % 2 else 0],
            "size": ["S", "M"] if i % 4 else ["L"],
            "watts": 100 + i % 5,
            "in_stock": i % 6 != 0,
        }
        products.append(
            Product(
                category=category,
                sku=f"SKU-{i:04d}",
                name=f"Item {i:03d}",
                price=Decimal(i % 20) + Decimal("0.99"),
                is_published=i % 25 != 7,
                description=f"About item {i}",
                attributes=attributes,
                images=[f"https://img.example.com/{i}.jpg"],
            )
        )
    Product.objects.bulk_create(products)
    return {"home": home, "kitchen": kitchen, "garden": garden, "products": products}


def listing(client, slug="home", **params):
    return client.get(f"/api/v1/categories/{slug}/products/", params)


@pytest.fixture
def settled():
    """Forget that generations were bumped moments ago (rebuilds then read replicas again)."""
    from django.core.cache import cache

    def settle():
        cache.delete_pattern("*:recent")

    return settle


def pytest_generate_tests(metafunc):
    """Run the API tests that use ``client`` against both interfaces: the WSGI views (Django's
    Client) and the ASGI ones (AsyncClient on an event loop), unless marked ``wsgi_only``."""
    if "client" in metafunc.fixturenames and not metafunc.definition.get_closest_marker("wsgi_only"):
        metafunc.parametrize("interface", ["wsgi", "asgi"])


@pytest.fixture
def interface():
    return "wsgi"  # parametrized by pytest_generate_tests


@pytest.fixture
def client(request, interface):
    """The test client of the interface under test (see ``pytest_generate_tests``)."""
    from tests.conftest import ReplicatedClient

    if interface == "asgi":
        return request.getfixturevalue("asgi_client")
    return ReplicatedClient()
