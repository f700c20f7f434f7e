"""A 404 leaves nothing in Redis: generations exist only for what exists (or expire), and a
slug no category can have is refused before any I/O."""

import pytest
from django.core.cache import cache
from django_redis import get_redis_connection

from catalog.cache_keys import category_generation_key, product_generation_key
from catalog_service.caching import counters
from categories.models import SLUG_MAX_LENGTH
from tests.catalog.api.conftest import listing
from tests.conftest import queries_by_alias

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_thousand_unknown_slugs_and_ids_leave_the_key_count_unchanged(client, shop):
    redis = get_redis_connection("default")
    cache.clear()  # no entry of an earlier test may expire during the count
    assert listing(client, slug="unknown-warm-up").status_code == 404
    counters.flush_counts()  # the counters' hash exists from here on
    before = redis.dbsize()
    for i in range(500):
        assert listing(client, slug=f"unknown-{i}").status_code == 404
        assert client.get(f"/api/v1/products/{10**12 + i}/").status_code == 404
    counters.flush_counts()
    assert redis.dbsize() == before
    assert redis.get(cache.make_key(category_generation_key("unknown-1"))) is None
    assert redis.get(cache.make_key(product_generation_key(10**12 + 1))) is None


def test_generations_start_with_what_exists_and_invalidation_stays_exact(client, shop):
    redis = get_redis_connection("default")
    cache.clear()
    product = next(p for p in shop["products"] if p.is_published)
    assert listing(client, slug="kitchen", page_size=5)["X-Cache"] == "miss"
    assert client.get(f"/api/v1/products/{product.pk}/")["X-Cache"] == "miss"
    for key in (category_generation_key("kitchen"), product_generation_key(product.pk)):
        assert redis.ttl(cache.make_key(key)) == -1  # started by the rebuild that found it: kept
    assert listing(client, slug="kitchen", page_size=5)["X-Cache"] == "hit"
    product.name = "Renamed"
    product.save()
    assert client.get(f"/api/v1/products/{product.pk}/").json()["name"] == "Renamed"
    # A bump of a group nobody asked for starts a generation that expires.
    assert redis.ttl(cache.make_key(category_generation_key("garden"))) == -2
    shop["garden"].save()
    assert redis.ttl(cache.make_key(category_generation_key("garden"))) > 0


def test_a_slug_longer_than_a_category_can_have_is_a_404_without_any_io(
    client, shop, settings, mongo_commands
):
    settings.API_THROTTLE_RATE = "1/hour"  # a request that reached the throttle would use it up
    too_long = "s" * (SLUG_MAX_LENGTH + 1)
    seen = counters.local_counts()
    with queries_by_alias() as queries, mongo_commands() as commands:
        for url in (f"/api/v1/categories/{too_long}/products/", f"/api/v1/categories/{too_long}/"):
            for _ in range(3):
                response = client.get(url)
                assert response.status_code == 404 and "detail" in response.json()
        for _ in range(3):
            assert client.get(f"/api/v1/products/{2**63}/").status_code == 404
    assert queries == {} and commands == []
    assert counters.local_counts() == seen  # no cache lookup either
    assert listing(client, slug="home").status_code == 200  # the throttle was not used up
