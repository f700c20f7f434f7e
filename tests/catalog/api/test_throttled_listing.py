"""The rate limit covers every way the listing is answered: cache hits served before DRF (WSGI)
and the async views (ASGI), as well as DRF's own dispatch."""

import pytest

from tests.catalog.api.conftest import listing

pytestmark = pytest.mark.django_db(transaction=True)


def test_cache_hits_and_misses_count_against_the_rate_alike(client, shop, settings):
    settings.API_THROTTLE_RATE = "4/hour"
    statuses = [listing(client, page_size=5) for _ in range(4)]
    assert [r.status_code for r in statuses] == [200] * 4
    assert [r["X-Cache"] for r in statuses] == ["miss", "hit", "hit", "hit"]
    refused = listing(client, page_size=5)
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "throttled" in refused.json()["detail"]
    assert client.get(statuses[0].json()["results"][0]["url"]).status_code == 429  # the detail too


def test_without_redis_the_listing_fails_closed_when_configured(client, shop, settings, stack_component):
    settings.API_THROTTLE_RATE = "100/hour"
    settings.API_THROTTLE_FAIL_OPEN = False
    stack_component("redis")
    refused = listing(client, page_size=5)
    assert refused.status_code == 503 and int(refused["Retry-After"]) >= 1
