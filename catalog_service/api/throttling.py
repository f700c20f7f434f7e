"""Rate limits on the public API, counted in the shared Redis so every worker and node agrees.

Each client (its address: the public API authenticates no one) has a counter per fixed window of the
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

The rule is one pure function, ``verdict``; the counting around it is thin, once on the
blocking client (``PublicRateThrottle``, ``decide``: WSGI and DRF) and once on the asyncio one
(``acheck``: the async views), with the same keys and commands.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from rest_framework.exceptions import APIException, Throttled
from rest_framework.throttling import BaseThrottle

from catalog_service.caching import wire
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


# -- the rule ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """Where a request falls under a rate: the fixed window's number, and how far into it."""

    limit: int
    period: int
    number: int
    elapsed: float


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    wait: float | None = None  # when refused: seconds until one more request fits


def window_at(rate: str, now: float) -> Window:
    """The window of ``rate`` (such as ``600/min``) that the time ``now`` falls in."""
    limit, period = parse_rate(rate)
    number, elapsed = divmod(now, period)
    return Window(limit, period, int(number), elapsed)


def verdict(window: Window, *, current: int, previous: int) -> Verdict:
    """Decide on a request counted as the ``current``-th of its window, ``previous`` having
    been allowed in the window before (weighted by how much of it the sliding window covers)."""
    limit, period, elapsed = window.limit, window.period, window.elapsed
    if previous * (period - elapsed) / period + current <= limit:
        return Verdict(True)
    allowed_so_far = current - 1  # this request is refused, and taken back
    wait = seconds_until_allowed(
        limit=limit, period=period, elapsed=elapsed, current=allowed_so_far, previous=previous
    )
    return Verdict(False, wait)


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


def verdict_on(window: Window, counted: tuple[int, int] | None) -> Verdict:
    """The verdict on a request as counted (None: Redis could not count it, and
    ``API_THROTTLE_FAIL_OPEN`` decides: allowed, or ``ThrottleUnavailable`` raised)."""
    if counted is None:
        if settings.API_THROTTLE_FAIL_OPEN:
            return Verdict(True)
        raise ThrottleUnavailable(wait=settings.CACHE_BREAKER_SECONDS)
    current, previous = counted
    return verdict(window, current=current, previous=previous)


def ident_of(request: HttpRequest) -> str:
    """Who is counted: the client's address. Never the user: the public API has no
    authentication, and looking a session up would cost every request with a session cookie a
    query (and a password hash for ``Authorization: Basic``) before it is even counted."""
    return f"ip:{client_ip(request)}"


# -- the counters: one pipelined round trip counts, one more takes a refused request back -------


def _send_count(client: Any, ident: str, window: Window) -> Any:
    """INCR and EXPIRE this window's counter, GET the previous one's, in one pipeline. Written
    once for both clients: queueing is the same on redis-py's blocking and asyncio pipelines,
    and what this returns (the results, or an awaitable of them) is the caller's to take."""
    key = counter_key(ident, window.period, window.number)
    pipe = client.pipeline(transaction=False)
    pipe.incr(key)
    pipe.expire(key, 2 * window.period)  # still needed as the previous window, then gone
    pipe.get(counter_key(ident, window.period, window.number - 1))
    return pipe.execute()


def _counted(results: list[Any] | None) -> tuple[int, int] | None:
    if results is None:
        return None
    current, _, previous = results
    return int(current), int(previous or 0)


def count(ident: str, window: Window) -> tuple[int, int] | None:
    """Count a request; return (this window's count, the previous window's), or None when
    Redis is unavailable."""
    return _counted(wire.guarded(lambda r: _send_count(r, ident, window)))


def uncount(ident: str, window: Window) -> None:
    """Take a refused request back (if this fails, the client waits a little longer)."""
    wire.guarded(lambda r: r.decr(counter_key(ident, window.period, window.number)))


async def acount(ident: str, window: Window) -> tuple[int, int] | None:
    """As ``count``, on the event loop's asyncio client."""
    return _counted(await wire.aguarded(lambda r: _send_count(r, ident, window)))


async def auncount(ident: str, window: Window) -> None:
    await wire.aguarded(lambda r: r.decr(counter_key(ident, window.period, window.number)))


# -- the blocking path (DRF, and the hits served before it) ------------------------------------

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
        if decided is not None:  # counted already, before DRF (catalog.api.cache_hits): not twice
            verdict_name, self._wait = decided
            if verdict_name == UNAVAILABLE:
                raise ThrottleUnavailable(wait=self._wait)
            return verdict_name == ALLOWED
        window = window_at(rate, time.time())
        ident = self.client_ident(request)
        judged = verdict_on(window, count(ident, window))
        if not judged.allowed:
            uncount(ident, window)  # only allowed requests count
            self._wait = judged.wait
        return judged.allowed

    def wait(self) -> float | None:
        return self._wait

    def client_ident(self, request: HttpRequest) -> str:
        """Return who is counted: the client's address."""
        return ident_of(request)


# -- the asyncio path (the async views) ---------------------------------------------------------


async def acheck(request: HttpRequest) -> None:
    """Count ``request``; raise ``Throttled`` (429) past the rate, or ``ThrottleUnavailable``
    (503) when Redis cannot count and the deployment fails closed."""
    rate = settings.API_THROTTLE_RATE
    if not rate:
        return
    window = window_at(rate, time.time())
    ident = ident_of(request)
    judged = verdict_on(window, await acount(ident, window))
    if not judged.allowed:
        await auncount(ident, window)  # only allowed requests count
        raise Throttled(wait=judged.wait)
