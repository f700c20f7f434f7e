"""How the cache reaches Redis: the blocking client (django-redis's), the asyncio client (one
per event loop), and the circuit breaker around every call of either.

django-redis has no asyncio client, so the ASGI path speaks to the same Redis with redis-py's
asyncio client, on the same keys (``cache.make_key``) and in the same format
(``cache.client.encode`` / ``decode``, msgpack): entries written by either path serve the other.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import TypeVar

import redis
import redis.asyncio as aioredis
from django.conf import settings
from django.core.cache import caches
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.driver_info import DriverInfo
from redis.exceptions import RedisError

from catalog_service.caching.breaker import redis_breaker

T = TypeVar("T")


def blocking_client() -> redis.Redis:
    """The default cache's redis-py client (django-redis's pool)."""
    return caches["default"].client.get_client(write=True)


def mget(client: redis.Redis, keys: list[str]) -> list[bytes | None]:
    """MGET on a connection of ``client``'s pool, without redis-py's command dispatch (its retry
    wrapper, response callbacks and metrics hooks): 283 against 227 µs of CPU here for a cache
    hit's MGET of a 44 KB entry, measured interleaved. The pool still checks the
    connection out healthy (reconnecting one that died while idle) and bounds it by its socket
    timeouts; a connection that fails mid-command is dropped, and the breaker counts the error."""
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        connection.send_command("MGET", *keys)
        return connection.read_response()
    except BaseException:
        connection.disconnect()
        raise
    finally:
        pool.release(connection)


def guarded(call: Callable[[redis.Redis], T]) -> T | None:
    """Run ``call(client)`` on the blocking client through the breaker; return None when
    skipped or failed. A late reply (see ``slow_after``) is used, and counted as a failure."""
    if not redis_breaker.allow():
        return None
    client = blocking_client()
    started = time.monotonic()
    try:
        result = call(client)
    except (RedisError, OSError) as exc:
        redis_breaker.failure(exc)
        return None
    redis_breaker.answered(time.monotonic() - started, slow_after(client))
    return result


def slow_after(client: redis.Redis) -> float:
    """Seconds after which a reply of ``client`` counts as late: ``CACHE_BREAKER_SLOW_SHARE`` of
    its socket timeout (the one its pool gives new connections)."""
    timeout = client.connection_pool.connection_kwargs.get("socket_timeout")
    return settings.CACHE_BREAKER_SLOW_SHARE * timeout if timeout else float("inf")


# Named once, here: left to redis-py, every new connection looks its version up in the installed
# packages' metadata (importlib.metadata walks sys.path on disk), which blocked the event loop
# for ~100 ms whenever the pool grew (found by tests/catalog/api/test_async.py).
DRIVER_INFO = DriverInfo(name="redis-py", lib_version=redis.__version__)

# An asyncio client belongs to the loop it was made on: each loop (a uvicorn worker has one; the
# tests make several) gets its own, dropped with the loop.
_async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, aioredis.Redis] = (
    weakref.WeakKeyDictionary()
)


def async_client() -> aioredis.Redis:
    """The running loop's asyncio client on the default cache's Redis."""
    loop = asyncio.get_running_loop()
    client = _async_clients.get(loop)
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
        _async_clients[loop] = client
    return client


async def close_async_client() -> None:
    """Close the running loop's client (at shutdown, and between tests)."""
    client = _async_clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.aclose()


async def amget(client: aioredis.Redis, keys: list[str]) -> list[bytes | None]:
    """MGET on the asyncio client (named, like ``mget``, so that both reads have one seam)."""
    return await client.mget(keys)


async def aguarded(call: Callable[[aioredis.Redis], Awaitable[T]]) -> T | None:
    """Await ``call(client)`` on the loop's asyncio client through the breaker (shared with the
    blocking path); return None when skipped or failed. A reply that outlasts
    ``CACHE_ASYNC_TIMEOUT_SECONDS`` is a failure; a reply in time is not judged late, since on
    a busy loop it waited for the loop as much as for Redis."""
    if not redis_breaker.allow():
        return None
    try:
        result = await call(async_client())
    except (RedisError, OSError) as exc:
        redis_breaker.failure(exc)
        return None
    redis_breaker.success()
    return result
