"""The response cache on asyncio: the ASGI path's side of ``catalog_service.caching.store``.

django-redis has no asyncio client, so this speaks to the same Redis with redis-py's asyncio
client, on the same keys (``cache.make_key``), in the same format (``cache.client.encode`` /
``decode``, msgpack) and with the same rules: generations, soft TTL, one rebuild at a time
behind a lock with a token, stale only for entries past their soft TTL, stale-if-error, and
the primary for rebuilds right after a bump. Entries written by either path serve the other.
The circuit breaker and the hit counters are shared with the sync path.
"""

from __future__ import annotations

import asyncio
import secrets
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from pymongo.errors import PyMongoError
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.driver_info import DriverInfo
from redis.exceptions import RedisError

from catalog_service.caching import store
from catalog_service.caching.breaker import redis_breaker
from catalog_service.caching.near import near_cache
from catalog_service.caching.store import Built, Peeked, Served
from catalog_service.db.state import use_primary

# Named once, here: left to redis-py, every new connection looks its version up in the installed
# packages' metadata (importlib.metadata walks sys.path on disk), which blocked the event loop
# for ~100 ms whenever the pool grew (found by tests/catalog/api/test_async.py).
DRIVER_INFO = DriverInfo(name="redis-py", lib_version=redis.__version__)

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = weakref.WeakKeyDictionary()


def _client() -> aioredis.Redis:
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        config = settings.CACHES["default"]
        options = config.get("OPTIONS", {})
        client = aioredis.Redis.from_url(
            config["LOCATION"],
            socket_timeout=settings.CACHE_ASYNC_TIMEOUT_SECONDS,
            socket_connect_timeout=settings.CACHE_ASYNC_TIMEOUT_SECONDS,
            max_connections=options.get("CONNECTION_POOL_KWARGS", {}).get("max_connections"),
            driver_info=DRIVER_INFO,
            # A pooled connection that Redis closed (a restart) fails once; try again on a new
            # one at once, as the blocking client does. Timeouts are not retried: a slow Redis
            # is already bounded by the timeout above.
            retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
        )
        _clients[loop] = client
    return client


async def close_client() -> None:
    """Close the running loop's client (at shutdown, and between tests)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


async def _guard(call: Callable[[aioredis.Redis], Awaitable[Any]]) -> Any:
    """Run a Redis call through the shared breaker; return None when skipped or failed."""
    if not redis_breaker.allow():
        return None
    try:
        result = await call(_client())
    except (RedisError, OSError) as exc:
        redis_breaker.failure(exc)
        return None
    redis_breaker.success()
    return result


async def _read(key: str, generation_key: str) -> store.Read | None:
    keys = [cache.make_key(generation_key), cache.make_key(key), cache.make_key(f"{generation_key}:recent")]
    values = await _guard(lambda r: r.mget(keys))
    if values is None:
        return None
    generation = int(values[0]) if values[0] is not None else None
    entry = cache.client.decode(values[1]) if values[1] is not None else None
    return generation, entry, values[2] is not None


async def _count(name: str) -> None:
    store.count(name)  # counts locally; the flush to Redis happens here, off the blocking client
    if store._unflushed and time.monotonic() - store._flushed_at >= store.FLUSH_INTERVAL:
        store._flushed_at = time.monotonic()
        pending = dict(store._unflushed)
        store._unflushed.clear()

        async def flush(r: aioredis.Redis) -> bool:
            pipe = r.pipeline(transaction=False)
            for stat, value in pending.items():
                pipe.hincrby(cache.make_key(store.STATS_KEY), stat, value)
            await pipe.execute()
            return True

        if not await _guard(flush):
            for stat, value in pending.items():
                store._unflushed[stat] = store._unflushed.get(stat, 0) + value


async def peek(key: str, generation_key: str, ttl: float) -> Peeked:
    """As ``store.peek``: the fresh entry, or the read that ``cached`` starts from."""
    if store._pending:  # bumps this process could not deliver: stay off the cache until they are
        return Peeked(key, None, None)
    near, token = near_cache.lookup(key, generation_key, ttl, wait=False)  # never waits for a thread
    if near is not None:
        await _count("hit")
        return Peeked(key, near, None)
    found = await _read(key, generation_key)
    served = store.keep_if_fresh(key, generation_key, ttl, found, token)
    if served is not None:
        await _count("hit")
    return Peeked(key, served, found)


async def cached(
    key: str, generation_key: str, ttl: float, build: Callable[[], Awaitable[Built]], first_read: Peeked
) -> Served:
    """As ``store.cached``, awaiting Redis and ``build`` instead of blocking on them."""
    found = first_read.read if first_read.key == key and not store._pending else None
    if found is None:  # Redis unavailable (or bumps pending): build from the databases
        await _count("bypass")
        built = await build()
        await _count("rebuild")
        return Served(built.body, store.etag_of(built.body), built.content_type, "bypass")
    generation, entry, recent = found
    if entry is not None and store._fresh(entry, generation, ttl):
        await _count("hit")
        return store._served(entry, "hit")
    same_generation = entry is not None and generation is not None and entry.get("g") == generation
    token = await _lock(key)
    if token:
        return await _rebuild_holding_lock(key, generation_key, token, ttl, build, entry)
    if same_generation:
        await _count("stale")
        return store._served(entry, "stale")
    deadline = time.monotonic() + settings.CACHE_LOCK_WAIT_SECONDS
    pause = 0.01
    while time.monotonic() < deadline:
        await asyncio.sleep(pause)  # waits without holding the loop: other requests run meanwhile
        pause = min(pause * 2, 0.1)
        found = await _read(key, generation_key)
        if found is None:
            break
        generation, waited, recent = found
        if waited is not None and store._fresh(waited, generation, ttl):
            await _count("wait")
            return store._served(waited, "wait")
        token = await _lock(key)
        if token:
            return await _rebuild_holding_lock(key, generation_key, token, ttl, build, entry)
    return await _rebuild(key, generation_key, generation, recent, ttl, build, entry)


async def _lock(key: str) -> str | None:
    token = secrets.token_hex(8)
    lock_ms = int(settings.CACHE_LOCK_SECONDS * 1000)
    taken = await _guard(lambda r: r.set(cache.make_key(f"lock:{key}"), token, nx=True, px=lock_ms))
    return token if taken else None


async def _unlock(key: str, token: str) -> None:
    await _guard(lambda r: r.eval(store._UNLOCK, 1, cache.make_key(f"lock:{key}"), token))


async def _rebuild_holding_lock(
    key: str, generation_key: str, token: str, ttl: float, build: Callable[[], Awaitable[Built]],
    previous: dict[str, Any] | None,
) -> Served:  # fmt: skip
    try:
        found = await _read(key, generation_key)
        if found is None:
            return await _rebuild(key, generation_key, None, True, ttl, build, previous)
        generation, entry, recent = found
        if entry is not None and store._fresh(entry, generation, ttl):
            await _count("wait")
            return store._served(entry, "wait")
        return await _rebuild(key, generation_key, generation, recent, ttl, build, previous)
    finally:
        await _unlock(key, token)


async def _rebuild(
    key: str, generation_key: str, generation: int | None, recent: bool, ttl: float,
    build: Callable[[], Awaitable[Built]], previous: dict[str, Any] | None,
) -> Served:  # fmt: skip
    await _count("miss")
    if generation is None:
        generation = await _init_generation(generation_key)
    try:
        if recent:  # bumped moments ago: replicas may not have replayed it (see store._rebuild)
            with use_primary():
                built = await build()
        else:
            built = await build()
    except (DatabaseError, PyMongoError):
        if previous is not None:
            await _count("stale_if_error")
            store.log.warning("serving a stale %s: rebuilding it failed", key)
            return store._served(previous, "stale_if_error")
        raise
    await _count("rebuild")
    etag = store.etag_of(built.body)
    if generation is not None:
        entry = {"g": generation, "t": time.time(), "b": built.body, "e": etag, "c": built.content_type}
        timeout = int(ttl + settings.CACHE_STALE_SECONDS)
        await _guard(lambda r: r.set(cache.make_key(key), cache.client.encode(entry), ex=timeout))
    return Served(built.body, etag, built.content_type, "miss")


async def _init_generation(generation_key: str) -> int | None:
    async def call(r: aioredis.Redis) -> int:
        pipe = r.pipeline(transaction=False)
        pipe.set(cache.make_key(generation_key), store._initial_generation(), nx=True)
        pipe.get(cache.make_key(generation_key))
        return int((await pipe.execute())[1])

    return await _guard(call)
