"""Cached responses in the shared Redis, keyed by generation, with stampede protection.

An entry holds the rendered body, its ETag, the generation it was built under and when. One
MGET reads an entry with its current generation: the entry is fresh when the generations
match and it is younger than its soft TTL. An entry whose generation moved on (something it
shows changed) is never served, except when rebuilding fails (stale-if-error). An entry that
only outlived its soft TTL is served while one request rebuilds it (stale-while-revalidate).
On a miss, one request takes a short lock and rebuilds; the others poll briefly for its
result, then build themselves, so a hot key is rebuilt about once however many ask for it.

Every Redis call goes through the circuit breaker and is bounded by the client's socket
timeout; with Redis down, responses are built from the databases.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError
from pymongo.errors import PyMongoError
from redis.exceptions import RedisError

from catalog_service.caching.breaker import redis_breaker

log = logging.getLogger("catalog_service.caching")

STATS_KEY = "cache:stats"
STAT_NAMES = ("hit", "stale", "miss", "rebuild", "wait", "stale_if_error", "bypass")
_local_stats: dict[str, int] = dict.fromkeys(STAT_NAMES, 0)
_pending: set[str] = set()  # generation bumps that could not reach Redis yet


@dataclass
class Built:
    """A response to cache: its body and content type."""

    body: bytes
    content_type: str = "application/json"


@dataclass
class Served:
    """What the cache layer answers with, and how (for headers and tests)."""

    body: bytes
    etag: str
    content_type: str
    state: str  # hit, stale, miss (built here), wait (built by another), stale_if_error, bypass


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _raw() -> Any:
    return cache.client.get_client(write=True)


def _guard(call: Callable[[], Any]) -> Any:
    """Run a Redis call through the breaker; return None when skipped or failed."""
    if not redis_breaker.allow():
        return None
    try:
        result = call()
    except (RedisError, OSError) as exc:
        redis_breaker.failure(exc)
        return None
    redis_breaker.success()
    return result


_unflushed: dict[str, int] = {}
_flushed_at = 0.0
FLUSH_INTERVAL = 1.0


def count(name: str) -> None:
    """Count an outcome here, and in Redis for every worker (batched, at most once a second)."""
    global _flushed_at
    _local_stats[name] += 1
    _unflushed[name] = _unflushed.get(name, 0) + 1
    if time.monotonic() - _flushed_at >= FLUSH_INTERVAL:
        flush_counts()


def flush_counts() -> None:
    """Add this process's uncounted outcomes to the shared counters."""
    global _flushed_at
    _flushed_at = time.monotonic()
    pending = dict(_unflushed)
    _unflushed.clear()

    def call() -> bool:
        pipe = _raw().pipeline(transaction=False)
        for name, value in pending.items():
            pipe.hincrby(cache.make_key(STATS_KEY), name, value)
        pipe.execute()
        return True

    if pending and not _guard(call):
        for name, value in pending.items():  # keep them for the next flush
            _unflushed[name] = _unflushed.get(name, 0) + value


def stats() -> dict[str, Any]:
    """Return the hit/miss counters of every worker (from Redis) and of this process."""
    flush_counts()
    shared = _guard(lambda: _raw().hgetall(cache.make_key(STATS_KEY))) or {}
    return {
        "all_workers": {k.decode(): int(v) for k, v in shared.items()},
        "this_process": dict(_local_stats),
        "breaker": "open" if redis_breaker.is_open else "closed",
    }


def _read(key: str, generation_key: str) -> tuple[Any, dict[str, Any] | None] | None:
    """Return (current generation, entry) in one MGET, or None when Redis is unavailable."""

    def call() -> tuple[Any, Any]:
        values = _raw().mget([cache.make_key(generation_key), cache.make_key(key)])
        generation = int(values[0]) if values[0] is not None else None
        entry = cache.client.decode(values[1]) if values[1] is not None else None
        return generation, entry

    return _guard(call)


def _write(key: str, generation_key: str, generation: int | None, built: Built, ttl: float) -> str:
    etag = etag_of(built.body)
    timeout = int(ttl + settings.CACHE_STALE_SECONDS)

    def call() -> None:
        current = generation
        if current is None:  # first use: start the generation at a value no old entry holds
            pipe = _raw().pipeline(transaction=False)
            pipe.set(cache.make_key(generation_key), _initial_generation(), nx=True)
            pipe.get(cache.make_key(generation_key))
            current = int(pipe.execute()[1])
        entry = {"g": current, "t": time.time(), "b": built.body, "e": etag, "c": built.content_type}
        _raw().set(cache.make_key(key), cache.client.encode(entry), ex=timeout)

    _guard(call)
    return etag


def _initial_generation() -> int:
    return int(time.time() * 1000)


def _lock(key: str) -> bool:
    lock_ms = int(settings.CACHE_LOCK_SECONDS * 1000)
    return bool(_guard(lambda: _raw().set(cache.make_key(f"lock:{key}"), 1, nx=True, px=lock_ms)))


def _unlock(key: str) -> None:
    _guard(lambda: _raw().delete(cache.make_key(f"lock:{key}")))


def _fresh(entry: dict[str, Any], generation: int | None, ttl: float) -> bool:
    return generation is not None and entry.get("g") == generation and time.time() - entry["t"] < ttl


def _served(entry: dict[str, Any], state: str) -> Served:
    return Served(entry["b"], entry["e"], entry.get("c", "application/json"), state)


def cached(key: str, generation_key: str, ttl: float, build: Callable[[], Built]) -> Served:
    """Return the response under ``key``: cached when fresh, else built (at most about once
    across workers at a time) and cached under the current generation."""
    if _pending:
        bump([])
    found = _read(key, generation_key) if not _pending else None
    if found is None:  # Redis unavailable: build from the databases
        count("bypass")
        built = build()
        count("rebuild")
        return Served(built.body, etag_of(built.body), built.content_type, "bypass")
    generation, entry = found
    if entry is not None and _fresh(entry, generation, ttl):
        count("hit")
        return _served(entry, "hit")
    same_generation = entry is not None and generation is not None and entry.get("g") == generation
    if _lock(key):
        return _rebuild_holding_lock(key, generation_key, generation, ttl, build, entry)
    if same_generation:  # only old, not outdated: serve it while the lock holder rebuilds
        count("stale")
        return _served(entry, "stale")
    # Wait for the lock holder's result; if it gave up (its lock is gone), take over.
    deadline = time.monotonic() + settings.CACHE_LOCK_WAIT_SECONDS
    pause = 0.01
    while time.monotonic() < deadline:
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
        found = _read(key, generation_key)
        if found is None:
            break
        generation, waited = found
        if waited is not None and _fresh(waited, generation, ttl):
            count("wait")
            return _served(waited, "wait")
        if _lock(key):
            return _rebuild_holding_lock(key, generation_key, generation, ttl, build, entry)
    return _rebuild(key, generation_key, generation, ttl, build, entry)


def _rebuild_holding_lock(
    key: str, generation_key: str, generation: int | None, ttl: float, build: Callable[[], Built],
    previous: dict[str, Any] | None,
) -> Served:  # fmt: skip
    try:
        # Checked again under the lock: another request may have just finished the rebuild.
        found = _read(key, generation_key)
        if found is not None:
            generation, entry = found
            if entry is not None and _fresh(entry, generation, ttl):
                count("wait")
                return _served(entry, "wait")
        return _rebuild(key, generation_key, generation, ttl, build, previous)
    finally:
        _unlock(key)


def _rebuild(
    key: str, generation_key: str, generation: int | None, ttl: float, build: Callable[[], Built],
    previous: dict[str, Any] | None,
) -> Served:  # fmt: skip
    count("miss")
    try:
        built = build()
    except (DatabaseError, PyMongoError):
        if previous is not None:  # stale-if-error: an old answer beats a 503
            count("stale_if_error")
            log.warning("serving a stale %s: rebuilding it failed", key)
            return _served(previous, "stale_if_error")
        raise
    count("rebuild")
    etag = _write(key, generation_key, generation, built, ttl)
    return Served(built.body, etag, built.content_type, "miss")


def bump(generation_keys: list[str]) -> None:
    """Move these generations on (one round trip): entries built under the old ones are outdated.

    When Redis cannot be reached the bumps are kept and applied before this process next reads
    the cache, so an outdated entry is not served after Redis comes back.
    """
    keys = set(generation_keys) | _pending
    if not keys:
        return

    def call() -> bool:
        pipe = _raw().pipeline(transaction=False)
        for name in sorted(keys):
            full = cache.make_key(name)
            pipe.set(full, _initial_generation(), nx=True)
            pipe.incr(full)
        pipe.execute()
        return True

    if _guard(call):
        _pending.difference_update(keys)
    else:
        if not _pending:
            log.warning("cache invalidation deferred: Redis is unavailable (%d generation(s))", len(keys))
        _pending.update(keys)
