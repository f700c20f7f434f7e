"""The public API's rate limit: counted in the shared Redis, failing open or closed without it."""

import socket

import pytest
from django.core.cache import cache
from django_redis import get_redis_connection

from catalog_service.api.throttling import Verdict, seconds_until_allowed, verdict, window_at
from catalog_service.caching.breaker import redis_breaker

TREE = "/api/v1/categories/"


def get(client, ip="203.0.113.7"):
    return client.get(TREE, REMOTE_ADDR=ip)


@pytest.fixture
def throttled(settings):
    settings.API_THROTTLE_RATE = "3/hour"
    settings.API_THROTTLE_FAIL_OPEN = True
    return settings


@pytest.fixture
def redis_unreachable(settings):
    """The default cache pointed at a loopback port nobody listens on (connection refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    cache_config = {**settings.CACHES["default"], "LOCATION": f"redis://127.0.0.1:{port}/0"}
    settings.CACHES = {**settings.CACHES, "default": cache_config}
    yield
    redis_breaker.reset()


@pytest.mark.django_db
def test_each_client_gets_the_rate_then_429_with_retry_after(client, throttled):
    assert [get(client).status_code for _ in range(3)] == [200, 200, 200]
    refused = get(client)
    assert refused.status_code == 429
    # A full window keeps weighing into the next one (sliding window): up to two periods.
    assert 1 <= int(refused["Retry-After"]) <= 2 * 3600
    assert get(client, ip="198.51.100.9").status_code == 200  # another client has its own count
    assert get(client).status_code == 429  # refused requests are not counted, and still refused


@pytest.mark.django_db
def test_the_count_lives_in_the_shared_redis(client, throttled):
    get(client)
    get(client)
    keys = get_redis_connection("default").keys(cache.make_key("throttle:3600:ip:203.0.113.7:*"))
    assert len(keys) == 1
    assert int(get_redis_connection("default").get(keys[0])) == 2


@pytest.mark.django_db
def test_no_rate_means_no_throttle_and_no_redis_round_trip(client, settings):
    settings.API_THROTTLE_RATE = None
    assert all(get(client).status_code == 200 for _ in range(5))
    assert get_redis_connection("default").keys(cache.make_key("throttle:*")) == []


@pytest.mark.django_db
def test_redis_down_fails_open_by_default(client, throttled, redis_unreachable):
    assert [get(client).status_code for _ in range(5)] == [200] * 5
    assert redis_breaker.is_open  # after a few refused connections Redis is not even tried


@pytest.mark.django_db
def test_redis_down_fails_closed_when_configured(client, throttled, redis_unreachable):
    throttled.API_THROTTLE_FAIL_OPEN = False
    response = get(client)
    assert response.status_code == 503
    assert int(response["Retry-After"]) >= 1
    assert "rate limiting is unavailable" in response.json()["detail"]


def test_health_probes_are_never_throttled(client, throttled):
    assert all(client.get("/healthz").status_code == 200 for _ in range(5))


@pytest.mark.parametrize(
    ("current", "previous", "elapsed", "expected"),
    [
        # 10/min, this window full: wait for the rest of it, then until it weighs 9 or less.
        (10, 0, 30.0, 30.0 + 6.0),
        # Room for one in this window once the previous one's weight falls: 6 * (60 - t) / 60 <= 4.
        (5, 6, 10.0, 10.0),
        (0, 10, 0.0, 6.0),
    ],
)
def test_retry_after_is_when_one_more_request_fits(current, previous, elapsed, expected):
    wait = seconds_until_allowed(limit=10, period=60, elapsed=elapsed, current=current, previous=previous)
    assert wait == pytest.approx(expected)


def test_the_verdict_weighs_the_previous_window_by_what_the_sliding_window_still_covers():
    window = window_at("10/min", now=60 * 1000 + 15.0)  # a quarter into window 1000
    assert (window.number, window.elapsed, window.limit, window.period) == (1000, 15.0, 10, 60)
    assert verdict(window, current=4, previous=8) == Verdict(True)  # 8 * 0.75 + 4 = 10
    refused = verdict(window, current=5, previous=8)  # 11: the fifth is one too many
    assert not refused.allowed
    # Once 8 * (60 - t) / 60 <= 5, at t = 22.5: 7.5 s from now.
    assert refused.wait == pytest.approx(7.5)
