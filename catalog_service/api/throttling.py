"""Rate limits on the public API, counted in the shared Redis so every worker and node agrees.

Each client (a logged-in user, else its IP address) has a counter per fixed window of the
rate's period; the limit applies to a sliding window estimated from the current and the
previous counter (the previous one weighted by how much of it the sliding window still
covers), which avoids the double burst a plain fixed window allows at its edges. One
pipelined round trip per request: INCR and EXPIRE of the current counter, GET of the previous.

DRF's own throttles keep a list of timestamps per client in the cache, read and written back
by each request: two round trips, a value that grows with the rate, and lost updates when a
client's requests run on several workers at once. INCR is atomic.

A refused request is not counted, so a client that keeps asking is let in again as soon as
its allowed requests age out; Retry-After says when.

When Redis cannot be reached (or the cache's circuit breaker is open), ``API_THROTTLE_FAIL_OPEN``
decides: True lets the request through unthrottled, False refuses it with 503 and Retry-After.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from redis.exceptions import RedisError
from rest_framework.exceptions import APIException
from rest_framework.throttling import BaseThrottle

from catalog_service.caching.breaker import redis_breaker
from catalog_service.security.client_ip import client_ip

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class ThrottleUnavailable(APIException):
    """The rate limit cannot be checked and the deployment chose to fail closed."""

    status_code = 503
    default_detail = "Request rate limiting is unavailable; try again shortly."
    default_code = "throttle_unavailable"

    def __init__(self, wait: float) -> None:
        super().__init__()
        self.wait = wait  # DRF's exception handler turns it into Retry-After


def parse_rate(rate: str) -> tuple[int, int]:
    """Return (requests, period in seconds) for a rate such as ``600/min``."""
    count, _, period = rate.partition("/")
    return int(count), PERIODS[period[0]]


def counter_key(ident: str, period: int, window: int) -> str:
    """Return the cache key counting ``ident``'s requests in fixed window number ``window``."""
    return cache.make_key(f"throttle:{period}:{ident}:{window}")


def seconds_until_allowed(*, limit: int, period: int, elapsed: float, current: int, previous: int) -> float:
    """Return how long until one more request fits: ``current`` requests were allowed in this
    window, ``previous`` in the one before, ``elapsed`` seconds of this one have passed."""
    room = limit - 1 - current  # what the previous window's weighted count must fall to
    if previous and room >= 0:
        # previous * (period - t) / period <= room, within this window
        return max(0.0, period - room * period / previous - elapsed)
    # In the next window this one weighs current * (period - t) / period, and nothing new.
    into_next = period * (1 - (limit - 1) / current) if current else 0.0
    return period - elapsed + max(0.0, into_next)


ALLOWED, REFUSED, UNAVAILABLE = "allowed", "refused", "unavailable"


def decide(request: HttpRequest) -> bool:
    """Count ``request`` against its client's rate, outside DRF (for responses served before
    DRF's dispatch), and keep the verdict on the request so that DRF, if it runs, neither
    counts it again nor decides otherwise. Return True when the request may be served."""
    throttle = PublicRateThrottle()
    try:
        allowed = throttle.allow_request(request, None)
    except ThrottleUnavailable as exc:
        request.throttle_verdict = (UNAVAILABLE, exc.wait)
        return False
    request.throttle_verdict = (ALLOWED if allowed else REFUSED, throttle.wait())
    return allowed


class PublicRateThrottle(BaseThrottle):
    """Allow each client ``API_THROTTLE_RATE`` requests per period (None: no limit)."""

    def __init__(self) -> None:
        self._wait: float | None = None

    def allow_request(self, request: HttpRequest, view: Any) -> bool:
        rate = settings.API_THROTTLE_RATE
        if not rate:
            return True
        decided = getattr(request, "throttle_verdict", None)
        if decided is not None:  # counted already, before DRF (catalog.api.fast): not twice
            verdict, self._wait = decided
            if verdict == UNAVAILABLE:
                raise ThrottleUnavailable(wait=self._wait)
            return verdict == ALLOWED
        limit, period = parse_rate(rate)
        now = time.time()
        window, elapsed = divmod(now, period)
        window = int(window)
        ident = self.client_ident(request)
        counts = self._count(ident, period, window)
        if counts is None:
            if settings.API_THROTTLE_FAIL_OPEN:
                return True
            raise ThrottleUnavailable(wait=settings.CACHE_BREAKER_SECONDS)
        current, previous = counts
        if previous * (period - elapsed) / period + current <= limit:
            return True
        self._uncount(ident, period, window)  # only allowed requests count
        self._wait = seconds_until_allowed(
            limit=limit, period=period, elapsed=elapsed, current=current - 1, previous=previous
        )
        return False

    def wait(self) -> float | None:
        return self._wait

    def client_ident(self, request: HttpRequest) -> str:
        """Return who is counted: the user when logged in, else the client's IP address."""
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            return f"user:{user.pk}"
        return f"ip:{client_ip(request)}"

    def _count(self, ident: str, period: int, window: int) -> tuple[int, int] | None:
        """Count this request; return (this window's count, the previous window's), or None
        when Redis is unavailable."""
        if not redis_breaker.allow():
            return None
        key = counter_key(ident, period, window)
        try:
            pipe = cache.client.get_client(write=True).pipeline(transaction=False)
            pipe.incr(key)
            pipe.expire(key, 2 * period)  # still needed as the previous window, then gone
            pipe.get(counter_key(ident, period, window - 1))
            current, _, previous = pipe.execute()
        except (RedisError, OSError) as exc:
            redis_breaker.failure(exc)
            return None
        redis_breaker.success()
        return int(current), int(previous or 0)

    def _uncount(self, ident: str, period: int, window: int) -> None:
        try:
            cache.client.get_client(write=True).decr(counter_key(ident, period, window))
        except (RedisError, OSError) as exc:  # counted once too often: the client waits a little longer
            redis_breaker.failure(exc)
