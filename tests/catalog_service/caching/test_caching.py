"""The shared response cache on the real stack: hits, exact invalidation, stampedes, degradation."""

import logging
import threading
import urllib.request
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connections

from catalog.models import Product
from catalog_service.caching import counters
from catalog_service.documents.models import OutboxRecord
from categories.models import Category
from tests.catalog.api.conftest import listing
from tests.conftest import HEALTH_HEADERS, queries_by_alias, stack, wait_for, wait_for_replicas

pytestmark = pytest.mark.django_db(transaction=True)


def names(response):
    return [item["name"] for item in response.json()["results"]]


def counted(*outcomes):
    """How many of these outcomes this process has counted."""
    counts = counters.local_counts()
    return sum(counts[name] for name in outcomes)


def test_a_hit_costs_no_query_and_its_etag_answers_304(client, shop, mongo_commands):
    first = listing(client, page_size=5)
    assert first["X-Cache"] == "miss"
    with queries_by_alias() as queries, mongo_commands() as commands:
        hit = listing(client, page_size=5)
        not_modified = client.get(
            "/api/v1/categories/home/products/", {"page_size": 5}, headers={"if-none-match": first["ETag"]}
        )
    assert hit["X-Cache"] == "hit" and hit.content == first.content and hit["ETag"] == first["ETag"]
    assert not_modified.status_code == 304
    assert queries == {} and commands == []
    product = client.get(hit.json()["results"][0]["url"])
    assert product["X-Cache"] == "miss"
    with queries_by_alias() as queries, mongo_commands() as commands:
        assert client.get(hit.json()["results"][0]["url"])["X-Cache"] == "hit"
    assert queries == {} and commands == []


@pytest.mark.wsgi_only  # the async views answer JSON without DRF; this is about the WSGI path
def test_hits_are_served_before_drf_and_every_other_request_reaches_it(client, shop, monkeypatch, settings):
    from catalog.api.views import CategoryProductsView

    settings.API_BROWSABLE = True  # the browsable API is what DRF is still there for

    dispatched = []
    original = CategoryProductsView.dispatch
    monkeypatch.setattr(
        CategoryProductsView,
        "dispatch",
        lambda self, *a, **kw: dispatched.append(1) or original(self, *a, **kw),
    )
    url = "/api/v1/categories/home/products/"
    assert client.get(url, {"page_size": 5})["X-Cache"] == "miss" and len(dispatched) == 1
    for accept in ("", "application/json", "*/*", "application/json, text/plain, */*"):
        hit = client.get(url, {"page_size": 5}, headers={"accept": accept} if accept else {})
        assert hit["X-Cache"] == "hit" and hit["Content-Type"] == "application/json", accept
    assert len(dispatched) == 1
    browsable = client.get(
        url, {"page_size": 5}, headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert browsable.status_code == 200 and browsable["Content-Type"].startswith("text/html")
    assert client.get(url, {"page_size": 5, "format": "api"})["Content-Type"].startswith("text/html")
    bad = client.get(url, {"page_size": "many"})
    assert bad.status_code == 400 and "page_size" in bad.json()
    assert client.post(url, {}).status_code == 405
    assert len(dispatched) == 5


def test_equivalent_queries_share_one_key_and_bad_ones_never_reach_the_cache(client, shop):
    assert listing(client, attr=["size:L", "color:red"], ordering="price")["X-Cache"] == "miss"
    url = "/api/v1/categories/home/products/?ordering=price&attr=color:red&attr=size:L&page_size=24"
    same = client.get(url + "&include_descendants=true")
    assert same["X-Cache"] == "hit"
    hits_before = counted("hit", "miss")
    assert listing(client, page_size="0").status_code == 400
    assert counted("hit", "miss") == hits_before


def test_product_and_category_writes_outdate_exactly_the_listings_they_show_in(client, shop):
    kitchen_item = next(
        p for p in reversed(shop["products"]) if p.category.slug == "kitchen" and p.is_published
    )
    for slug in ("home", "kitchen", "garden"):
        listing(client, slug=slug, page_size=100)
    Product.objects.filter(pk=kitchen_item.pk).update(name="Renamed by update()")
    assert listing(client, slug="garden", page_size=100)["X-Cache"] == "hit"  # not affected
    for slug in ("kitchen", "home"):  # the category and its ancestor
        response = listing(client, slug=slug, page_size=100)
        assert response["X-Cache"] == "miss" and "Renamed by update()" in names(response)

    garden = Category.objects.get(slug="garden")
    garden.parent = shop["kitchen"]
    garden.save()  # moved under kitchen: kitchen now lists garden's products too
    response = listing(client, slug="kitchen", page_size=100)
    assert response["X-Cache"] == "miss"
    assert {p.pk for p in shop["products"] if p.category.slug == "garden" and p.is_published} <= {
        item["id"] for item in response.json()["results"]
    }
    garden.slug = "yard"
    garden.save()
    item = listing(client, slug="kitchen", page_size=100).json()["results"]
    assert "yard" in {i["category"] for i in item}


def test_a_document_applied_later_by_the_relay_outdates_listings(client, shop, stack_component):
    product = next(p for p in shop["products"] if p.category.slug == "kitchen" and p.is_published)
    stack_component("mongo")
    product.name = "Written while MongoDB was down"
    product.save()
    stack("start", "mongo")
    # Rebuilt from MongoDB before the relay ran: the old name, cached under the new generation.
    wait_for(lambda: listing(client, slug="kitchen", page_size=100).status_code == 200, timeout=30)
    assert "Written while MongoDB was down" not in names(listing(client, slug="kitchen", page_size=100))

    def relayed():
        OutboxRecord.objects.filter(applied_at__isnull=True).update(next_attempt_at="2000-01-01T00:00Z")
        call_command("relay_outbox", "--once")
        return not OutboxRecord.objects.filter(applied_at__isnull=True).exists()

    wait_for(relayed, timeout=30, interval=0.2)
    assert "Written while MongoDB was down" in names(listing(client, slug="kitchen", page_size=100))


@pytest.mark.wsgi_only  # threads of Django's Client; the asyncio analogue follows
def test_two_hundred_concurrent_requests_rebuild_a_hot_key_at_most_twice(client, shop, settings, request):
    from django.core.cache import cache
    from django.test import Client

    listing(client, page_size=10)
    Product.objects.filter(pk=shop["products"][0].pk).update(price=Decimal("1.00"))  # outdates the key
    # A long-running worker has its Redis connections open; 200 threads connecting at once
    # within the 100 ms connect timeout, all under one GIL, would measure the test machine.
    # So would the 100 ms reply timeout: 200 threads polling Redis on two shared cores saw a
    # reply take longer (the breaker then opened, and requests bypassed the cache). This test
    # is about the rebuild lock, so its connections wait up to a second for a reply.
    pool = cache.client.get_client().connection_pool
    timeout = pool.connection_kwargs.get("socket_timeout")

    def use_socket_timeout(seconds):  # new connection objects: existing ones keep their own timeout
        pool.disconnect()
        pool.reset()
        pool.connection_kwargs["socket_timeout"] = seconds

    use_socket_timeout(1.0)
    request.addfinalizer(lambda: use_socket_timeout(timeout))
    warm = [pool.get_connection() for _ in range(200)]
    for connection in warm:
        pool.release(connection)
    barrier = threading.Barrier(200)
    statuses, states = [], []
    before = counted("rebuild")

    def shopper():
        local = Client()
        barrier.wait()
        response = local.get("/api/v1/categories/home/products/", {"page_size": 10})
        statuses.append(response.status_code)
        states.append(response["X-Cache"])
        connections.close_all()

    threads = [threading.Thread(target=shopper) for _ in range(200)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [200] * 200
    from collections import Counter

    assert counted("rebuild") - before <= 2, Counter(states)
    assert "stale" not in states  # an outdated entry is never served; the others waited


def test_two_hundred_concurrent_requests_on_one_event_loop_rebuild_a_hot_key_at_most_twice(
    asgi_client, shop, event_loop_thread
):
    import asyncio
    from collections import Counter

    from django.test import AsyncClient

    listing(asgi_client, page_size=10)
    Product.objects.filter(pk=shop["products"][0].pk).update(price=Decimal("1.00"))  # outdates the key
    wait_for_replicas()
    before = counted("rebuild")

    async def shoppers():
        local = AsyncClient()
        url = "/api/v1/categories/home/products/"
        return await asyncio.gather(*(local.get(url, {"page_size": 10}) for _ in range(200)))

    responses = event_loop_thread.run(shoppers())
    states = Counter(r["X-Cache"] for r in responses)
    assert [r.status_code for r in responses] == [200] * 200
    assert counted("rebuild") - before <= 2, states
    assert "stale" not in states and states["miss"] <= 2  # the outdated entry is never served


def test_an_old_entry_is_served_while_one_request_rebuilds_it(client, shop, settings):
    listing(client, page_size=10)
    settings.CACHE_TTLS = {**settings.CACHE_TTLS, "listing": 0}  # every entry is now past its soft TTL
    from django.core.cache import cache

    key = next(k for k in cache.keys("listing:home:*"))
    assert cache.client.get_client().set(cache.make_key(f"lock:{key}"), 1)  # another request is rebuilding
    response = listing(client, page_size=10)
    assert response.status_code == 200 and response["X-Cache"] == "stale"


@pytest.mark.stack
def test_listings_answer_without_redis_and_caching_resumes_when_it_is_back(
    client, shop, stack_component, caplog
):
    listing(client, page_size=5)
    with caplog.at_level(logging.INFO, "catalog_service.caching"):
        stack_component("redis")
        responses = [listing(client, page_size=5) for _ in range(8)]
        assert {r.status_code for r in responses} == {200}
        assert {r["X-Cache"] for r in responses} == {"bypass"}
        breaker_lines = [r for r in caplog.records if "failing" in r.getMessage()]
        assert len(breaker_lines) == 1  # one line per change of state
        stack("start", "redis")
        wait_for(lambda: listing(client, page_size=5)["X-Cache"] == "hit", timeout=30, interval=0.5)
    assert any("caching resumed" in r.getMessage() for r in caplog.records)


@pytest.mark.stack
def test_after_a_redis_restart_the_next_listing_uses_the_cache(client, shop, stack_component):
    listing(client, page_size=5)
    listing(client, page_size=6)  # the process holds pooled connections to Redis
    stack_component("redis")
    stack("start", "redis")  # an empty Redis; the pooled connections are closed
    for size in (5, 6):  # a closed connection is replaced at once, not counted as an outage
        assert listing(client, page_size=size)["X-Cache"] == "miss"
    assert listing(client, page_size=5)["X-Cache"] == "hit"


@pytest.mark.stack
def test_a_stale_entry_is_served_when_the_stores_fail(client, shop, stack_component):
    cached_names = names(listing(client, page_size=5))
    stack_component("mongo")
    Product.objects.filter(pk=shop["products"][3].pk).update(name="Changed during the outage")
    response = listing(client, page_size=5)
    assert response.status_code == 200 and response["X-Cache"] == "stale_if_error"
    assert names(response) == cached_names
    assert listing(client, page_size=6).status_code == 503  # nothing cached for this one


def test_cache_counters_are_visible_in_readyz(client, shop):
    listing(client, page_size=3)
    listing(client, page_size=3)
    counters = client.get("/readyz", headers=HEALTH_HEADERS).json()["checks"]["redis"]["cache"]
    assert counters["all_workers"]["hit"] >= 1 and counters["all_workers"]["miss"] >= 1
    assert counters["breaker"] == "closed"


@pytest.fixture
def gunicorn_server(gunicorn):
    """gunicorn with two workers on the test databases, as production runs it."""
    return gunicorn().url


def test_admin_changes_updates_and_moves_show_in_the_next_response_of_gunicorn_workers(
    client, shop, gunicorn_server, django_user_model
):
    import json

    def served(slug):
        url = f"{gunicorn_server}/api/v1/categories/{slug}/products/?page_size=100"
        with urllib.request.urlopen(url) as response:
            return response.headers["X-Cache"], json.load(response)["results"]

    def warm(slug):
        for _ in range(6):  # both workers have built or read the page
            served(slug)
        assert served(slug)[0] == "hit"

    def names_everywhere(slug):
        return [{item["name"] for item in served(slug)[1]} for _ in range(4)]  # whichever worker answers

    warm("kitchen")
    product = next(p for p in reversed(shop["products"]) if p.category.slug == "kitchen" and p.is_published)
    client.force_login(django_user_model.objects.create_superuser("ed", "ed@example.com", "pw"))
    form = {"sku": product.sku, "category": product.category_id, "is_published": "on", "description": "",
            "name": "Edited in Admin", "price": "9.99", "attributes": "{}", "images": "[]"}  # fmt: skip
    assert client.post(f"/admin/catalog/product/{product.pk}/change/", form).status_code == 302
    assert all("Edited in Admin" in names for names in names_everywhere("kitchen"))

    warm("kitchen")
    Product.objects.filter(pk=product.pk).update(name="Edited by update()")
    assert all("Edited by update()" in names for names in names_everywhere("kitchen"))

    warm("kitchen")
    garden_ids = {p.pk for p in shop["products"] if p.category.slug == "garden" and p.is_published}
    garden = Category.objects.get(slug="garden")
    garden.parent = shop["kitchen"]
    garden.save()
    for _ in range(4):
        assert garden_ids <= {item["id"] for item in served("kitchen")[1]}


def test_a_category_never_invalidated_before_is_cached_from_its_first_request(client, shop):
    from django.core.cache import cache

    cache.delete_pattern("gen:*")  # as on a fresh deployment: no generation exists yet
    assert listing(client, slug="garden")["X-Cache"] == "miss"
    assert listing(client, slug="garden")["X-Cache"] == "hit"
    assert client.get(f"/api/v1/products/{shop['products'][1].pk}/")["X-Cache"] == "miss"
    assert client.get(f"/api/v1/products/{shop['products'][1].pk}/")["X-Cache"] == "hit"


def test_a_rebuild_right_after_a_write_reads_the_primary_and_later_ones_a_replica(client, shop, settled):
    from tests.conftest import queries_by_alias

    settled()
    Product.objects.filter(pk=shop["products"][-1].pk).update(name="Just written")
    with queries_by_alias() as queries:
        response = listing(client, page_size=5)
    assert "Just written" in names(response)
    assert set(queries) == {"default"}  # a replica might not have replayed it yet
    settled()  # the lag window has passed
    Product.objects.filter(pk=shop["products"][-1].pk).update(name="Written earlier")
    settled()
    with queries_by_alias() as queries:
        assert "Written earlier" in names(listing(client, page_size=5))
    assert "default" not in queries


@pytest.mark.wsgi_only  # the key is remembered on the WSGI hit path (catalog.api.cache_hits)
def test_remembered_keys_stay_bounded_and_bad_queries_keep_their_400(client, shop, monkeypatch):
    from catalog.api import cache_hits

    monkeypatch.setattr(cache_hits, "KEYS_REMEMBERED", 2)
    for _ in range(2):
        response = listing(client, page_size="0")
        assert response.status_code == 400 and "page_size" in response.json()
    for size in (3, 4, 5, 3):
        assert listing(client, page_size=size).status_code == 200
    assert cache_hits.keys_remembered() <= 2
    assert listing(client, page_size=3)["X-Cache"] == "hit"
