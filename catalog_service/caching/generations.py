"""Generations: a counter in Redis per group of entries (a category's listings, a product).

An entry is stamped with the generation it was built under; a write that changes what a group
shows bumps the group's generation, which outdates every entry built under the old one. A bump
also sets a short-lived "recent" marker, for as long as replicas may not have replayed the
write: rebuilds read the primary meanwhile.

A generation exists only for a group whose object exists: it is started by the first rebuild
that found something to cache (``start_generation``), never by a lookup, so a request for an
unknown category or product leaves nothing in Redis. A bump of a group that has no generation
yet starts one that expires (``BUMP_STARTED_SECONDS``): it is there only to tell a rebuild
that was under way that it is outdated.

A bump that cannot reach Redis is kept as pending. Until it is delivered this process does not
read the cache (an outdated entry would be served), and both paths deliver pending bumps before
their next cache read (``deliver_pending`` / ``adeliver_pending``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings
from django.core.cache import cache
from redis.exceptions import RedisError

from catalog_service.caching import wire
from catalog_service.caching.breaker import redis_breaker

log = logging.getLogger("catalog_service.caching")

_pending: set[str] = set()  # generation bumps that could not reach Redis yet


def initial_generation() -> int:
    """A generation to start from: the clock, so that a key lost (evicted, Redis restarted)
    and started again does not come back to a number an old entry was stamped with."""
    return int(time.time() * 1000)


#: How long a generation started by a bump (its group had none) lasts: longer than any rebuild
#: takes (each is bounded by the databases' timeouts), so a rebuild that began before the bump
#: sees it; short enough that the generations of deleted objects do not pile up.
BUMP_STARTED_SECONDS = 3600


def recent_key(generation_key: str) -> str:
    """The marker that ``generation_key`` was bumped lately."""
    return f"{generation_key}:recent"


def recent_window_seconds() -> int:
    """How long after a bump rebuilds read the primary: replicas may lag this long unnoticed
    (the lag threshold, plus the sampling interval and a margin)."""
    return int(settings.MAX_REPLICA_LAG_SECONDS + 3)


def bump(generation_keys: list[str]) -> None:
    """Move these generations on (one round trip): entries built under the old ones are outdated.

    When Redis cannot be reached the bumps are kept and delivered before this process next reads
    the cache, so an outdated entry is not served after Redis comes back.
    """
    keys = set(generation_keys) | _pending
    if not keys:
        return
    try:  # not through the breaker: an invalidation is always attempted
        client = wire.blocking_client()
        _queue_bumps(client.pipeline(transaction=False), keys).execute()
        # Redis wrote the invalidations to every worker's near cache in the pass that wrote
        # this reply; a command sent now is read after that pass, so when its answer is back,
        # they have all been sent (catalog_service.caching.near).
        client.ping()
    except (RedisError, OSError) as exc:
        _failed(keys, exc)
    else:
        _pending.difference_update(keys)


def has_pending() -> bool:
    """True while bumps that could not reach Redis wait to be delivered."""
    return bool(_pending)


def deliver_pending() -> None:
    """Try the pending bumps again (blocking)."""
    if _pending:
        bump([])


async def adeliver_pending() -> None:
    """Try the pending bumps again, on the loop's asyncio client (as ``bump``: not through the
    breaker, and a PING after, for the near caches)."""
    keys = set(_pending)
    if not keys:
        return
    try:
        client: aioredis.Redis = wire.async_client()
        await _queue_bumps(client.pipeline(transaction=False), keys).execute()
        await client.ping()
    except (RedisError, OSError) as exc:
        _failed(keys, exc)
    else:
        _pending.difference_update(keys)


def forget_pending() -> None:
    """Drop the pending bumps (between tests)."""
    _pending.clear()


def start_generation(generation_key: str) -> int | None:
    """Start the generation of a group that had none, once a rebuild found something to cache;
    return it, or None when it exists already (a bump, or another rebuild, came first: what was
    built may be outdated, so it is not stored) or Redis is unavailable."""
    generation = initial_generation()
    started = wire.guarded(lambda r: _send_start(r, generation_key, generation))
    return generation if started else None


async def astart_generation(generation_key: str) -> int | None:
    """As ``start_generation``, on the loop's asyncio client."""
    generation = initial_generation()
    started = await wire.aguarded(lambda r: _send_start(r, generation_key, generation))
    return generation if started else None


# The commands, written once for both clients: queueing on a pipeline is the same on redis-py's
# blocking and asyncio pipelines; only ``execute`` differs (it returns an awaitable on asyncio).


def _queue_bumps(pipe: Any, keys: set[str]) -> Any:
    window = recent_window_seconds()
    for name in sorted(keys):
        full = cache.make_key(name)
        # A group without a generation gets one that expires; an existing one keeps no expiry
        # (SET NX leaves it alone, and INCR keeps a key's expiry as it is).
        pipe.set(full, initial_generation(), nx=True, ex=BUMP_STARTED_SECONDS)
        pipe.incr(full)
        pipe.set(cache.make_key(recent_key(name)), 1, ex=window)
    return pipe


def _send_start(client: Any, generation_key: str, generation: int) -> Any:
    # Only if absent: a key that appeared since the rebuild read "none" was bumped (or started
    # by another rebuild) meanwhile; the reply says so and nothing is stored.
    return client.set(cache.make_key(generation_key), generation, nx=True)


def _failed(keys: set[str], exc: BaseException) -> None:
    redis_breaker.failure(exc)
    if not _pending:
        log.warning("cache invalidation deferred: Redis is unavailable (%d generation(s))", len(keys))
    _pending.update(keys)
