"""How the cache answered: counted in this process, and added to a hash in the shared Redis
for every worker (batched, at most once a second, by whichever path counts next)."""

from __future__ import annotations

import time
from typing import Any

from django.core.cache import cache

from catalog_service.caching import wire
from catalog_service.caching.breaker import redis_breaker
from catalog_service.caching.near import near_cache
from catalog_service.event_loop import in_event_loop

STATS_KEY = "cache:stats"
STAT_NAMES = ("hit", "stale", "miss", "rebuild", "wait", "stale_if_error", "bypass")
FLUSH_INTERVAL = 1.0

_local: dict[str, int] = dict.fromkeys(STAT_NAMES, 0)
_unflushed: dict[str, int] = {}
_flushed_at = 0.0


def count(name: str) -> None:
    """Count an outcome; flush to Redis when due, on the blocking client (never on an event
    loop: there ``acount`` flushes)."""
    _record(name)
    if not in_event_loop():
        due = _take_due()
        if due:
            _flush(due)


async def acount(name: str) -> None:
    """Count an outcome; flush to Redis when due, on the asyncio client."""
    _record(name)
    due = _take_due()
    if due and not await wire.aguarded(lambda r: _send(r, due)):
        _keep(due)


def flush_counts() -> None:
    """Add this process's uncounted outcomes to the shared counters now."""
    global _flushed_at
    _flushed_at = time.monotonic()
    pending = dict(_unflushed)
    _unflushed.clear()
    if pending:
        _flush(pending)


def local_counts() -> dict[str, int]:
    """This process's counters (a copy)."""
    return dict(_local)


def stats() -> dict[str, Any]:
    """Return the hit/miss counters of every worker (from Redis) and of this process."""
    flush_counts()
    shared = wire.guarded(lambda r: r.hgetall(cache.make_key(STATS_KEY))) or {}
    return {
        "all_workers": {k.decode(): int(v) for k, v in shared.items()},
        "this_process": local_counts(),
        "near_cache": near_cache.stats(),
        "breaker": "open" if redis_breaker.is_open else "closed",
    }


def _record(name: str) -> None:
    _local[name] += 1
    _unflushed[name] = _unflushed.get(name, 0) + 1


def _take_due() -> dict[str, int] | None:
    """The uncounted outcomes, taken, when a flush is due (else None)."""
    global _flushed_at
    if not _unflushed or time.monotonic() - _flushed_at < FLUSH_INTERVAL:
        return None
    _flushed_at = time.monotonic()
    due = dict(_unflushed)
    _unflushed.clear()
    return due


def _send(client: Any, counts: dict[str, int]) -> Any:
    """Add the counts in one pipeline, on either client (queueing is the same on redis-py's
    blocking and asyncio pipelines; on asyncio, the result is awaited by the caller)."""
    pipe = client.pipeline(transaction=False)
    for name, value in counts.items():
        pipe.hincrby(cache.make_key(STATS_KEY), name, value)
    return pipe.execute()


def _flush(counts: dict[str, int]) -> None:
    if not wire.guarded(lambda r: _send(r, counts)):
        _keep(counts)


def _keep(counts: dict[str, int]) -> None:
    """Keep counts that could not be flushed for the next flush."""
    for name, value in counts.items():
        _unflushed[name] = _unflushed.get(name, 0) + value
