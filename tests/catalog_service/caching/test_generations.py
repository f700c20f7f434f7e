"""Generation bumps that could not reach Redis: kept, and delivered before the next cache read,
on the WSGI path and on the ASGI one alike."""

import socket

import pytest
from django.core.cache import cache
from django.test import override_settings
from django_redis import get_redis_connection

from catalog.cache_keys import category_generation_key
from catalog.models import Product
from catalog_service.caching import generations
from tests.catalog.api.conftest import listing

pytestmark = pytest.mark.django_db(transaction=True)


def unreachable_caches(settings):
    """The default cache pointed at a loopback port nobody listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return {
        **settings.CACHES,
        "default": {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{port}/0"},
    }


def test_a_bump_that_missed_redis_is_delivered_before_the_next_cache_read(client, shop, settings):
    product = next(p for p in shop["products"] if p.category.slug == "garden" and p.is_published)
    listing(client, slug="garden", page_size=100)
    assert listing(client, slug="garden", page_size=100)["X-Cache"] == "hit"
    redis = get_redis_connection("default")
    generation = cache.make_key(category_generation_key("garden"))
    before = int(redis.get(generation))

    with override_settings(CACHES=unreachable_caches(settings)):
        Product.objects.filter(pk=product.pk).update(name="Renamed while Redis was away")
    assert generations.has_pending()  # the write committed; its bump did not reach Redis
    assert int(redis.get(generation)) == before

    response = listing(client, slug="garden", page_size=100)  # Redis answers again
    assert not generations.has_pending()
    assert int(redis.get(generation)) > before
    # Rebuilt under the new generation, and cached again: not built around the cache (bypass).
    assert response["X-Cache"] == "miss"
    assert "Renamed while Redis was away" in {item["name"] for item in response.json()["results"]}
    assert listing(client, slug="garden", page_size=100)["X-Cache"] == "hit"
