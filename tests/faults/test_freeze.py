"""Frozen servers (``bin/stack freeze``: SIGSTOP, sockets open, no answer) under a steady read load,
on the WSGI and the ASGI path: every request is bounded, and each server is used again once thawed.

A frozen server's kernel still accepts connections and acknowledges what is sent, so only the
service's own bounds end the wait: the reply bound of request sessions (replicas), the socket
timeouts and the breaker (Redis), pymongo's operation timeout (MongoDB).
"""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.test import Client

from catalog_service.caching.breaker import redis_breaker
from tests.asgi import AsgiClient
from tests.catalog.api.conftest import listing
from tests.conftest import wait_for_replicas
from tests.faults.conftest import Answer, ReadLoad

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.stack, pytest.mark.faults]

REPLICA_BOUND = 3.0  # seconds: no request takes longer while a replica is frozen
REDIS_BOUND = 1.0  # ... while Redis is frozen
MONGODB_BOUND = 3.0  # ... while MongoDB is frozen


@pytest.fixture(params=["wsgi", "asgi"])
def make_client(request):
    """A factory of clients of the interface under test: Django's test client (WSGI views) or
    the ASGI handler on the session's event loop (async views, asyncio pools and clients). Not
    the suite's replica-waiting clients: a frozen replica never catches up."""
    if request.param == "asgi":
        loop = request.getfixturevalue("event_loop_thread")
        return lambda: AsgiClient(loop)
    return Client


def settle():
    """Forget the shop's fresh generations, whose rebuilds read the primary for a few seconds."""
    wait_for_replicas()
    cache.delete_pattern("*:recent")


def uncached(client, n):
    """A listing page nobody asked for yet (its own cache key): built from a replica and MongoDB."""
    return "uncached", listing(client, slug="kitchen", page_size=5, max_price=str(10_000 + n))


def slowest(answers: list[Answer]) -> float:
    return max(answer.seconds for answer in answers)


def test_with_replica1_frozen_reads_fail_over_within_3s_and_none_fails(
    shop, make_client, freezer, settings, caplog
):
    settings.REPLICA_COOLDOWN_SECONDS = 2  # so that the thawed replica is tried again soon
    settle()
    with caplog.at_level(logging.INFO, "catalog_service.db.routing"), ReadLoad(make_client, uncached) as load:
        before = load.wait(20)
        assert any("replica1" in a.served_by for a in before)  # both replicas take reads
        freezer.freeze("replica1")
        frozen = load.wait(40, seconds=5)  # long enough for reads caught on replica1 to end
        freezer.thaw("replica1")
        load.wait_until(lambda a: "replica1" in a.served_by)  # used again once thawed
    assert load.errors == []
    assert {a.status for a in load.answers} == {200}
    assert slowest(frozen) < REPLICA_BOUND, f"slowest {slowest(frozen):.2f}s"
    assert any("replica2" in a.served_by for a in frozen)
    assert any("database replica1 is down" in r.getMessage() for r in caplog.records)


def test_with_redis_frozen_listings_answer_from_the_databases_within_1s(shop, make_client, freezer):
    settle()
    pages = [{"page_size": 5}, {"page_size": 10, "ordering": "price"}, {"page_size": 5, "attr": "color:red"}]

    def listings(client, n):
        return "listing", listing(client, slug=("home", "kitchen", "garden")[n % 3], **pages[n // 3 % 3])

    with ReadLoad(make_client, listings) as load:
        load.wait(20)
        freezer.freeze("redis")
        frozen = load.wait(30, seconds=3)
        assert redis_breaker.is_open
        freezer.thaw("redis")
        load.wait_until(lambda a: a.headers.get("X-Cache") == "hit", timeout=20)  # the cache again
    assert load.errors == []
    assert {a.status for a in load.answers} == {200}
    assert {a.headers.get("X-Cache") for a in frozen} >= {"bypass"}  # built from the databases
    assert slowest(frozen) < REDIS_BOUND, f"slowest {slowest(frozen):.2f}s"


def test_with_mongodb_frozen_uncached_listings_are_503_within_3s_and_cached_ones_200(
    shop, make_client, freezer
):
    settle()
    cached = [{"page_size": 5}, {"page_size": 10, "ordering": "price"}]
    warm = Client()
    for params in cached:
        listing(warm, slug="home", **params)
        assert listing(warm, slug="home", **params)["X-Cache"] == "hit"

    def mixed(client, n):
        if n % 2:
            return uncached(client, n)
        return "cached", listing(client, slug="home", **cached[n // 2 % 2])

    with ReadLoad(make_client, mixed) as load:
        load.wait(10)
        freezer.freeze("mongo")
        frozen = load.wait(16, seconds=3)
        freezer.thaw("mongo")
        load.wait_until(lambda a: a.label == "uncached" and a.status == 200, timeout=30)
    assert load.errors == []
    gone = [a for a in frozen if a.label == "uncached"]
    assert {a.status for a in gone} >= {503}
    assert all(a.headers.get("Retry-After") for a in gone if a.status == 503)
    assert {(a.status, a.headers.get("X-Cache")) for a in frozen if a.label == "cached"} <= {(200, "hit")}
    assert slowest(frozen) < MONGODB_BOUND, f"slowest {slowest(frozen):.2f}s"
    assert {a.status for a in load.answers} <= {200, 503}
