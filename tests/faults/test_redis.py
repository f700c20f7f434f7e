"""Redis faults: stopped, paused with CLIENT PAUSE, answering late. Listings answer, within a
bounded time; late replies open the breaker as errors do."""

import asyncio
import time

import pytest
import redis
from django.conf import settings
from django.test import Client
from django_redis import get_redis_connection
from redis.backoff import NoBackoff
from redis.retry import Retry

from catalog_service.caching import wire
from catalog_service.caching.breaker import redis_breaker
from tests.catalog.api.conftest import listing
from tests.conftest import wait_for, wait_for_replicas
from tests.faults.conftest import timed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]

PAGES = [
    {"page_size": 5},
    {"page_size": 10, "ordering": "price"},
    {"page_size": 3, "min_price": "2", "max_price": "9"},
    {"page_size": 5, "attr": "color:red"},
]


def redis_call_seconds() -> float:
    """The longest one cache call can take with Redis unreachable: a connect plus a read, as
    configured (django-redis makes no retries)."""
    options = settings.CACHES["default"]["OPTIONS"]
    return options["SOCKET_CONNECT_TIMEOUT"] + options["SOCKET_TIMEOUT"]


def latency_bound() -> float:
    """A generous bound on one request with Redis failing: a second of real work, plus a few
    failing cache calls before the circuit breaker opens and one probe each time it half-opens."""
    return 1.0 + (settings.CACHE_BREAKER_FAILURES + 3) * redis_call_seconds()


def shop_round(client, shop):
    """Request listings of every kind and product details; return (response, seconds) pairs."""
    timings = []
    for slug in ("home", "kitchen", "garden"):
        for params in PAGES:
            timings.append(timed(listing, client, slug=slug, **params))
    for product in shop["products"][:6]:
        if product.is_published:
            timings.append(timed(client.get, f"/api/v1/products/{product.pk}/"))
    return timings


def assert_bounded(timings):
    bound = latency_bound()
    statuses = [response.status_code for response, _ in timings]
    assert set(statuses) == {200}, statuses
    assert {response["X-Cache"] for response, _ in timings} == {"bypass"}  # built from the databases
    slowest = max(seconds for _, seconds in timings)
    assert slowest < bound, f"slowest request {slowest:.2f}s, bound {bound:.2f}s"


@pytest.mark.stack
def test_with_redis_stopped_listings_answer_within_the_socket_timeouts(shop, stack_component):
    wait_for_replicas()
    client = Client()
    stack_component("redis")
    timings = shop_round(client, shop)
    assert_bounded(timings)
    assert redis_breaker.is_open


def test_with_redis_paused_listings_answer_within_the_socket_timeouts(shop):
    wait_for_replicas()
    client = Client()
    listing(client, page_size=5)  # the process's connection to Redis is open and warm
    kwargs = get_redis_connection("default").connection_pool.connection_kwargs
    address = {"host": kwargs["host"], "port": kwargs["port"]}
    control = redis.Redis(**address, socket_timeout=1)
    probe = redis.Redis(**address, socket_timeout=0.3, retry=Retry(NoBackoff(), 0))  # no retries
    probe.ping()
    pause = 4.0  # CLIENT UNPAUSE waits for the pause too, so the pause is short and runs out
    control.execute_command("CLIENT", "PAUSE", int(pause * 1000), "ALL")
    paused_at = time.monotonic()
    with pytest.raises(redis.TimeoutError):
        probe.get("anything")  # the pause is in force
    timings = shop_round(client, shop)
    assert time.monotonic() - paused_at < pause, "the requests outlasted the pause: inconclusive"
    assert_bounded(timings)
    assert redis_breaker.is_open

    def answers():
        try:
            return probe.ping()
        except redis.TimeoutError:
            return False

    wait_for(answers, timeout=2 * pause)  # later tests get a Redis that answers


# A script that keeps Redis busy for ARGV[1] microseconds, then answers: a real late reply.
BUSY = """
local function now() local t = redis.call('TIME') return tonumber(t[1]) * 1000000 + tonumber(t[2]) end
local start = now()
while now() - start < tonumber(ARGV[1]) do end
return 1
"""


def test_late_replies_open_the_breaker_on_the_blocking_client(settings):
    settings.CACHE_BREAKER_SLOW_SHARE = 0.2  # 20 ms of the 100 ms socket timeout
    for _ in range(settings.CACHE_BREAKER_FAILURES):
        assert not redis_breaker.is_open
        assert wire.guarded(lambda r: r.eval(BUSY, 0, 40_000)) == 1  # answered, late: still used
    assert redis_breaker.is_open
    assert wire.guarded(lambda r: r.ping()) is None  # skipped while open


def test_replies_past_the_asyncio_timeout_open_the_breaker(settings):
    settings.CACHE_ASYNC_TIMEOUT_SECONDS = 0.02  # read when the loop's client is made

    async def scenario():
        try:
            for _ in range(settings.CACHE_BREAKER_FAILURES):
                assert await wire.aguarded(lambda r: r.eval(BUSY, 0, 60_000)) is None
            return redis_breaker.is_open, await wire.aguarded(lambda r: r.ping())
        finally:
            await wire.close_async_client()

    assert asyncio.run(scenario()) == (True, None)


def test_replies_in_time_keep_the_breaker_closed():
    for _ in range(10):
        assert wire.guarded(lambda r: r.ping()) is True
    assert not redis_breaker.is_open
