"""The rate limit covers every way the listing is answered: cache hits served before DRF (WSGI)
and the async views (ASGI), as well as DRF's own dispatch."""

import base64

import pytest

from tests.catalog.api.conftest import listing
from tests.conftest import queries_by_alias

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


def test_a_cached_read_with_a_session_cookie_or_basic_credentials_sends_no_sql(client, shop, settings):
    """The public API authenticates no one: a session cookie or an Authorization header is not
    looked up (nor a password hashed), before throttling or after; the address is the identity."""
    settings.API_THROTTLE_RATE = "100/hour"
    assert listing(client, page_size=5)["X-Cache"] == "miss"
    client.cookies[settings.SESSION_COOKIE_NAME] = "a" * 32
    credentials = base64.b64encode(b"someone:a password").decode()
    with queries_by_alias() as queries:
        response = client.get(
            "/api/v1/categories/home/products/",
            {"page_size": 5},
            headers={"authorization": f"Basic {credentials}"},
        )
    assert response.status_code == 200 and response["X-Cache"] == "hit"
    assert queries == {}
