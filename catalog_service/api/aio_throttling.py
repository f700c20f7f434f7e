"""The API rate limit on the asyncio path: ``catalog_service.api.throttling``'s rule and keys,
counted with redis-py's asyncio client (nothing blocks the event loop)."""

from __future__ import annotations

import time

from django.conf import settings
from django.http import HttpRequest
from rest_framework.exceptions import Throttled

from catalog_service.api.throttling import ThrottleUnavailable, counter_key, parse_rate, seconds_until_allowed
from catalog_service.caching import aio_store
from catalog_service.security.client_ip import client_ip


async def check(request: HttpRequest) -> None:
    """Count ``request``; raise ``Throttled`` (429) past the rate, or ``ThrottleUnavailable``
    (503) when Redis cannot count and the deployment fails closed."""
    rate = settings.API_THROTTLE_RATE
    if not rate:
        return
    limit, period = parse_rate(rate)
    window, elapsed = divmod(time.time(), period)
    window = int(window)
    user = await request.auser()
    ident = f"user:{user.pk}" if user.is_authenticated else f"ip:{client_ip(request)}"
    key = counter_key(ident, period, window)

    async def count(r):  # noqa: ANN001
        pipe = r.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, 2 * period)
        pipe.get(counter_key(ident, period, window - 1))
        return await pipe.execute()

    counted = await aio_store._guard(count)
    if counted is None:
        if settings.API_THROTTLE_FAIL_OPEN:
            return
        raise ThrottleUnavailable(wait=settings.CACHE_BREAKER_SECONDS)
    current, previous = int(counted[0]), int(counted[2] or 0)
    if previous * (period - elapsed) / period + current <= limit:
        return
    await aio_store._guard(lambda r: r.decr(key))  # only allowed requests count
    wait = seconds_until_allowed(
        limit=limit, period=period, elapsed=elapsed, current=current - 1, previous=previous
    )
    raise Throttled(wait=wait)
