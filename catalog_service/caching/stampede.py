"""Cached responses in the shared Redis, keyed by generation, with stampede protection.

One MGET reads an entry with its current generation (``entries``): a fresh entry is served.
An entry whose generation moved on (something it shows changed) is never served, except when
rebuilding fails (stale-if-error). An entry that only outlived its soft TTL is served while
one request rebuilds it (stale-while-revalidate). On a miss, one request takes a short lock
(with a token, so that it only ever releases its own) and rebuilds; the others poll briefly
for its result, then take over, so a hot key is rebuilt about once however many ask for it.
A rebuild right after a bump reads the primary (``generations``). Entries served lately are
kept in the process's memory (``near``).

The algorithm is written once, as steps: generators that yield the operation they need
(``ReadEntry``, ``Lock``, ``Build``, ...) and receive its result; an operation that fails is
thrown into the steps. ``peek`` and ``cached`` run them on the blocking clients (WSGI),
``apeek`` and ``acached`` on the asyncio ones (ASGI), the way ``catalog.selectors`` serves both
database drivers. Both runners deliver pending generation bumps before reading the cache.

Every Redis call goes through the circuit breaker and is bounded by the client's socket
timeout; with Redis down, responses are built from the databases.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError
from pymongo.errors import PyMongoError

from catalog_service.caching import counters, generations, wire
from catalog_service.caching.entries import (
    Built,
    Entry,
    Peeked,
    Read,
    Served,
    entry_of,
    etag_of,
    is_fresh,
    served_from,
)
from catalog_service.caching.near import near_cache
from catalog_service.db.state import use_primary

log = logging.getLogger("catalog_service.caching")

T = TypeVar("T")

# -- the operations the steps yield -----------------------------------------------------------


@dataclass(frozen=True)
class NearLookup:
    """Look the key up in the near cache; receives (served or None, token for ``near_cache.put``)."""

    key: str
    generation_key: str
    ttl: float


@dataclass(frozen=True)
class ReadEntry:
    """One MGET of the generation, the entry and the recent marker; receives a ``Read``, or
    None when Redis is unavailable or bumps are still pending."""

    key: str
    generation_key: str


@dataclass(frozen=True)
class DeliverPending:
    """Try again the generation bumps that did not reach Redis."""


@dataclass(frozen=True)
class Lock:
    """Take the rebuild lock of ``key`` with ``token``; receives True when taken."""

    key: str
    token: str


@dataclass(frozen=True)
class Unlock:
    """Release the lock only if it is still ours (it may have expired and been taken since)."""

    key: str
    token: str


@dataclass(frozen=True)
class StartGeneration:
    """Start the generation of a group that has none (a rebuild found its object); receives
    it, or None when one appeared meanwhile or Redis is unavailable."""

    generation_key: str


@dataclass(frozen=True)
class Write:
    """Store ``entry`` under ``key`` for ``seconds``."""

    key: str
    entry: Entry
    seconds: int


@dataclass(frozen=True)
class Pause:
    """Wait (without holding an event loop)."""

    seconds: float


@dataclass(frozen=True)
class Build:
    """Build the response from the databases (on the primary when ``primary``); receives the
    ``Built``, or has the build's exception thrown in."""

    primary: bool


@dataclass(frozen=True)
class Count:
    """Count an outcome (``counters.STAT_NAMES``)."""

    name: str


Op = NearLookup | ReadEntry | DeliverPending | Lock | Unlock | StartGeneration | Write | Pause | Build | Count
Steps = Generator[Op, Any, T]

# -- the steps --------------------------------------------------------------------------------


def peek_steps(key: str, generation_key: str, ttl: float) -> Steps[Peeked]:
    """The fresh entry from the near cache, else from one read of Redis (kept in the near cache)."""
    if generations.has_pending():  # stay off the cache; ``cached`` delivers them first
        return Peeked(key, None, None)
    near, token = yield NearLookup(key, generation_key, ttl)
    if near is not None:
        yield Count("hit")
        return Peeked(key, near, None)
    found = yield ReadEntry(key, generation_key)
    served = _keep_if_fresh(key, generation_key, ttl, found, token)
    if served is not None:
        yield Count("hit")
    return Peeked(key, served, found, unavailable=found is None)


def cached_steps(key: str, generation_key: str, ttl: float, first_read: Peeked | None) -> Steps[Served]:
    """The whole path: hit, stale, wait for another request's rebuild, or rebuild."""
    if generations.has_pending():
        yield DeliverPending()
    if generations.has_pending():  # still undelivered: an entry here may be outdated
        found = None
    elif (
        first_read is not None
        and first_read.key == key
        and (first_read.read is not None or first_read.unavailable)
    ):
        found = first_read.read  # None when Redis could not answer the peek: one wait is enough
    else:
        found = yield ReadEntry(key, generation_key)
    if found is None:  # Redis unavailable: build from the databases
        yield Count("bypass")
        built = yield Build(primary=False)
        yield Count("rebuild")
        return Served(built.body, etag_of(built.body), built.content_type, "bypass")
    generation, entry, recent = found
    if entry is not None and is_fresh(entry, generation, ttl):
        yield Count("hit")
        return served_from(entry, "hit")
    same_generation = entry is not None and generation is not None and entry.get("g") == generation
    token = secrets.token_hex(8)
    if (yield Lock(key, token)):
        return (yield from _rebuild_holding_lock(key, generation_key, token, ttl, entry))
    if same_generation:  # only old, not outdated: serve it while the lock holder rebuilds
        yield Count("stale")
        return served_from(entry, "stale")
    # Wait for the lock holder's result; if it gave up (its lock is gone), take over.
    deadline = time.monotonic() + settings.CACHE_LOCK_WAIT_SECONDS
    pause = 0.01
    while time.monotonic() < deadline:
        yield Pause(pause)
        pause = min(pause * 2, 0.1)
        found = yield ReadEntry(key, generation_key)
        if found is None:
            break
        generation, waited, recent = found
        if waited is not None and is_fresh(waited, generation, ttl):
            yield Count("wait")
            return served_from(waited, "wait")
        if (yield Lock(key, token)):
            return (yield from _rebuild_holding_lock(key, generation_key, token, ttl, entry))
    return (yield from _rebuild(key, generation_key, generation, recent, ttl, entry))


def _keep_if_fresh(key: str, generation_key: str, ttl: float, found: Read | None,
                   token: int | None) -> Served | None:  # fmt: skip
    """Return a read's entry served if it is fresh, and keep it in the near cache (``token``:
    the near cache's, taken before the read); None if the read found nothing fresh."""
    if found is None:
        return None
    generation, entry, _recent = found
    if entry is None or generation is None or not is_fresh(entry, generation, ttl):
        return None
    served = served_from(entry, "hit")
    near_cache.put(key, generation_key, generation, entry["t"], served, token)  # never waits
    return served


def _rebuild_holding_lock(
    key: str, generation_key: str, token: str, ttl: float, previous: Entry | None
) -> Steps[Served]:
    try:
        # Checked again under the lock: another request may have just finished the rebuild.
        found = yield ReadEntry(key, generation_key)
        if found is None:
            return (yield from _rebuild(key, generation_key, None, True, ttl, previous))
        generation, entry, recent = found
        if entry is not None and is_fresh(entry, generation, ttl):
            yield Count("wait")
            return served_from(entry, "wait")
        return (yield from _rebuild(key, generation_key, generation, recent, ttl, previous))
    finally:
        yield Unlock(key, token)  # also when the build failed: the runners throw errors in


def _rebuild(
    key: str, generation_key: str, generation: int | None, recent: bool, ttl: float, previous: Entry | None
) -> Steps[Served]:
    yield Count("miss")
    try:
        # Bumped moments ago: a replica may not have replayed the write yet, and what is built
        # here is cached under the new generation. Read the primary for this window.
        built = yield Build(primary=recent)
    except (DatabaseError, PyMongoError):
        if previous is not None:  # stale-if-error: an old answer beats a 503
            yield Count("stale_if_error")
            log.warning("serving a stale %s: rebuilding it failed", key)
            return served_from(previous, "stale_if_error")
        raise
    yield Count("rebuild")
    etag = etag_of(built.body)
    if generation is None:
        # Started only now that the build found its object (a 404 raised above and left nothing
        # in Redis), and only if still absent: a bump during the build would have created it.
        generation = yield StartGeneration(generation_key)
    if generation is not None:  # no generation to stamp: an entry could never be checked, keep none
        yield Write(key, entry_of(built, etag, generation), int(ttl + settings.CACHE_STALE_SECONDS))
    return Served(built.body, etag, built.content_type, "miss")


# -- what both runners share ------------------------------------------------------------------

_UNLOCK = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


def _read_keys(backend: Any, op: ReadEntry) -> list[str]:
    return [
        backend.make_key(op.generation_key),
        backend.make_key(op.key),
        backend.make_key(generations.recent_key(op.generation_key)),
    ]


def _read_of(backend: Any, values: list[bytes | None]) -> Read:
    generation = int(values[0]) if values[0] is not None else None
    entry = backend.client.decode(values[1]) if values[1] is not None else None
    return Read(generation, entry, values[2] is not None)


# Commands sent the same way on either client; on asyncio the caller awaits what they return.


def _send_lock(client: Any, op: Lock) -> Any:
    lock_ms = int(settings.CACHE_LOCK_SECONDS * 1000)
    return client.set(caches["default"].make_key(f"lock:{op.key}"), op.token, nx=True, px=lock_ms)


def _send_unlock(client: Any, op: Unlock) -> Any:
    return client.eval(_UNLOCK, 1, caches["default"].make_key(f"lock:{op.key}"), op.token)


def _send_write(client: Any, op: Write) -> Any:
    backend = caches["default"]
    return client.set(backend.make_key(op.key), backend.client.encode(op.entry), ex=op.seconds)


# -- the blocking runner ----------------------------------------------------------------------


def peek(key: str, generation_key: str, ttl: float) -> Peeked:
    """Return the entry under ``key`` served when it is fresh: from the process's near cache,
    else read from Redis (one MGET) and kept there. Otherwise the caller takes the full path,
    ``cached(..., first_read=peeked)``, which rebuilds, waits or serves stale as it must without
    reading Redis again."""
    return _run(peek_steps(key, generation_key, ttl), _no_build)


def cached(
    key: str, generation_key: str, ttl: float, build: Callable[[], Built], first_read: Peeked | None = None
) -> Served:
    """Return the response under ``key``: cached when fresh, else built (at most about once
    across workers at a time) and cached under the current generation. ``first_read`` is a
    ``peek`` of the same key made moments ago, used instead of reading again."""
    return _run(cached_steps(key, generation_key, ttl, first_read), build)


def _run(steps: Steps[T], build: Callable[[], Built]) -> T:
    try:
        op = next(steps)
        while True:
            try:
                result = _do(op, build)
            except BaseException as exc:  # the steps decide (stale-if-error, releasing the lock)
                op = steps.throw(exc)
            else:
                op = steps.send(result)
    except StopIteration as done:
        return done.value


def _do(op: Op, build: Callable[[], Built]) -> Any:
    if isinstance(op, Count):
        return counters.count(op.name)
    if isinstance(op, NearLookup):
        return near_cache.lookup(op.key, op.generation_key, op.ttl)
    if isinstance(op, ReadEntry):
        return _read(op)
    if isinstance(op, Build):
        if op.primary:
            with use_primary():
                return build()
        return build()
    if isinstance(op, Lock):
        return bool(wire.guarded(lambda r: _send_lock(r, op)))
    if isinstance(op, Unlock):
        return wire.guarded(lambda r: _send_unlock(r, op))
    if isinstance(op, Write):
        return wire.guarded(lambda r: _send_write(r, op))
    if isinstance(op, StartGeneration):
        return generations.start_generation(op.generation_key)
    if isinstance(op, Pause):
        return time.sleep(op.seconds)
    if isinstance(op, DeliverPending):
        return generations.deliver_pending()
    raise TypeError(op)


def _read(op: ReadEntry) -> Read | None:
    def call(client: Any) -> Read:
        backend = caches["default"]  # once: each use of the ``cache`` proxy looks it up again
        return _read_of(backend, wire.mget(client, _read_keys(backend, op)))

    return wire.guarded(call)


def _no_build() -> Built:
    raise AssertionError("peek never builds")


# -- the asyncio runner -----------------------------------------------------------------------


async def apeek(key: str, generation_key: str, ttl: float) -> Peeked:
    """As ``peek``, on the event loop: the near cache never waits for a thread holding its lock
    (that thread may be waiting for the GIL), and Redis is awaited."""
    return await _arun(peek_steps(key, generation_key, ttl), _ano_build)


async def acached(
    key: str, generation_key: str, ttl: float, build: Callable[[], Awaitable[Built]],
    first_read: Peeked | None = None,
) -> Served:  # fmt: skip
    """As ``cached``, awaiting Redis and ``build`` instead of blocking on them."""
    return await _arun(cached_steps(key, generation_key, ttl, first_read), build)


async def _arun(steps: Steps[T], build: Callable[[], Awaitable[Built]]) -> T:
    try:
        op = next(steps)
        while True:
            try:
                result = await _ado(op, build)
            except BaseException as exc:  # as in ``_run``; a cancellation too releases the lock
                op = steps.throw(exc)
            else:
                op = steps.send(result)
    except StopIteration as done:
        return done.value


async def _ado(op: Op, build: Callable[[], Awaitable[Built]]) -> Any:
    if isinstance(op, Count):
        return await counters.acount(op.name)
    if isinstance(op, NearLookup):
        return near_cache.lookup(op.key, op.generation_key, op.ttl, wait=False)
    if isinstance(op, ReadEntry):
        return await _aread(op)
    if isinstance(op, Build):
        if op.primary:
            with use_primary():
                return await build()
        return await build()
    if isinstance(op, Lock):
        return bool(await wire.aguarded(lambda r: _send_lock(r, op)))
    if isinstance(op, Unlock):
        return await wire.aguarded(lambda r: _send_unlock(r, op))
    if isinstance(op, Write):
        return await wire.aguarded(lambda r: _send_write(r, op))
    if isinstance(op, StartGeneration):
        return await generations.astart_generation(op.generation_key)
    if isinstance(op, Pause):
        return await asyncio.sleep(op.seconds)  # other requests run meanwhile
    if isinstance(op, DeliverPending):
        return await generations.adeliver_pending()
    raise TypeError(op)


async def _aread(op: ReadEntry) -> Read | None:
    async def call(client: Any) -> Read:
        backend = caches["default"]
        return _read_of(backend, await wire.amget(client, _read_keys(backend, op)))

    return await wire.aguarded(call)


async def _ano_build() -> Built:
    raise AssertionError("peek never builds")
