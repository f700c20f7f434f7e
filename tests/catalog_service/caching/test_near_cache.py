"""The near cache: hits from the process's memory, and every way they stop being served."""

import pytest
import redis
from django.core.cache import cache
from django_redis import get_redis_connection

from catalog.cache_keys import category_generation_key
from catalog.models import Product
from catalog_service.caching import wire
from catalog_service.caching.breaker import redis_breaker
from catalog_service.caching.near import ENTRY_OVERHEAD, near_cache
from tests.catalog.api.conftest import listing
from tests.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def control():
    """A client of its own on the stack's Redis, as another process would have."""
    kwargs = get_redis_connection("default").connection_pool.connection_kwargs
    address = {"host": kwargs["host"], "port": kwargs["port"], "db": kwargs.get("db", 0)}
    with redis.Redis(**address, socket_timeout=5) as client:
        yield client


def redis_reads(control) -> int:
    """How many MGETs Redis has served (every cache read is one, on either path)."""
    return control.info("commandstats").get("cmdstat_mget", {}).get("calls", 0)


def warm(client, **params):
    """List until the page is a hit kept in memory; return the hit."""
    listing(client, **params)  # built, or read from Redis; starts the near cache's connection
    wait_for(lambda: near_cache.stats()["live"])
    response = listing(client, **params)  # read from Redis and kept
    assert response["X-Cache"] == "hit"
    return response


def test_a_hit_served_again_does_not_read_redis(client, shop, control):
    first = warm(client, page_size=10)
    reads = redis_reads(control)
    for _ in range(5):
        again = listing(client, page_size=10)
        assert again["X-Cache"] == "hit" and again.content == first.content and again["ETag"] == first["ETag"]
    assert redis_reads(control) == reads
    assert near_cache.stats()["entries"] == 1


def test_every_write_shows_in_the_next_response(client, shop):
    warm(client, slug="kitchen", page_size=100)
    product = next(p for p in shop["products"] if p.category.slug == "kitchen" and p.is_published)
    for round_ in range(20):
        Product.objects.filter(pk=product.pk).update(name=f"Renamed {round_}")
        response = listing(client, slug="kitchen", page_size=100)
        assert response["X-Cache"] == "miss"
        assert f"Renamed {round_}" in {item["name"] for item in response.json()["results"]}
        assert listing(client, slug="kitchen", page_size=100)["X-Cache"] == "hit"  # kept again


def test_a_bump_from_another_process_reaches_the_near_cache(client, shop, control):
    warm(client, slug="garden")
    control.incr(cache.make_key(category_generation_key("garden")))  # no barrier: just a client
    wait_for(lambda: near_cache.stats()["entries"] == 0)
    assert listing(client, slug="garden")["X-Cache"] == "miss"


def test_an_invalidation_that_crosses_a_read_is_not_lost(client, shop, control, monkeypatch):
    warm(client, slug="garden", page_size=10)
    near_cache.forget()
    generation = cache.make_key(category_generation_key("garden"))
    real_mget, real_amget = wire.mget, wire.amget

    def bump_from_elsewhere():  # after Redis answered the read, before its answer is kept
        control.incr(generation)
        control.ping()

    def sync_read(*args):
        values = real_mget(*args)
        bump_from_elsewhere()
        return values

    async def async_read(*args):
        values = await real_amget(*args)
        bump_from_elsewhere()
        return values

    monkeypatch.setattr(wire, "mget", sync_read)
    monkeypatch.setattr(wire, "amget", async_read)
    assert listing(client, slug="garden", page_size=10)["X-Cache"] == "hit"  # current when it was read
    monkeypatch.undo()
    assert near_cache.stats()["entries"] == 0
    assert listing(client, slug="garden", page_size=10)["X-Cache"] == "miss"


def test_a_flush_empties_the_near_cache(client, shop):
    warm(client, page_size=10)
    cache.clear()
    wait_for(lambda: near_cache.stats()["entries"] == 0)
    assert listing(client, page_size=10)["X-Cache"] == "miss"


def test_a_lost_tracking_connection_empties_the_near_cache_until_it_is_back(client, shop, control):
    warm(client, page_size=10)
    trackers = [c["id"] for c in control.client_list() if "t" in c["flags"]]
    assert len(trackers) == 1
    control.client_kill_filter(_id=trackers[0])
    reads = redis_reads(control)
    assert listing(client, page_size=10)["X-Cache"] == "hit"  # from Redis, not from memory
    assert redis_reads(control) == reads + 1
    warm(client, page_size=10)  # reconnected by itself
    reads = redis_reads(control)
    assert listing(client, page_size=10)["X-Cache"] == "hit" and redis_reads(control) == reads


def test_a_tracking_connection_that_goes_quiet_stops_the_near_cache(client, shop, control, settings):
    warm(client, page_size=10)
    control.execute_command("CLIENT", "PAUSE", 2500, "ALL")  # no PONG, no invalidation gets through
    try:
        wait_for(lambda: not near_cache.stats()["live"], timeout=settings.CACHE_NEAR_LIVENESS_SECONDS + 1)
        wait_for(lambda: near_cache.stats()["entries"] == 0, timeout=1)  # dropped with the connection
        assert listing(client, page_size=10)["X-Cache"] == "bypass"  # Redis cannot answer in time
    finally:
        control.execute_command("CLIENT", "UNPAUSE")
    redis_breaker.reset()  # the timeouts opened it; that it closes again is tested elsewhere
    warm(client, page_size=10)


def test_the_near_cache_keeps_to_its_size(client, shop, settings):
    slugs = ("kitchen", "garden", "home")
    sizes = [len(warm(client, slug=slug, page_size=20).content) for slug in slugs]
    near_cache.forget()
    settings.CACHE_NEAR_MAX_BYTES = max(sizes) + ENTRY_OVERHEAD + min(sizes) // 2  # room for one page
    for slug in slugs:
        warm(client, slug=slug, page_size=20)
    stats = near_cache.stats()
    assert stats["entries"] == 1 and stats["bytes"] <= settings.CACHE_NEAR_MAX_BYTES


def test_with_the_near_cache_off_every_hit_reads_redis(client, shop, control, settings):
    settings.CACHE_NEAR_MAX_BYTES = 0
    listing(client, page_size=10)
    reads = redis_reads(control)
    for _ in range(3):
        assert listing(client, page_size=10)["X-Cache"] == "hit"
    assert redis_reads(control) == reads + 3
    assert near_cache.stats()["entries"] == 0
