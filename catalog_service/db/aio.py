"""Routed reads on psycopg's asyncio connections: the ASGI path's SQL, with the sync path's rules.

The alias comes from the same router (``read_alias``): a healthy replica, or the primary when
the unit of work wrote, the client is pinned or ``use_primary()`` is in force. A replica that
cannot be reached, or whose session dies under the statement, is marked down (shared with the
sync path) and the statement runs once more on the next usable host.

Each event loop has its own pool per alias, opened lazily; connections speak UTC, as Django's
do (behind PgBouncer by a SET once connected), so the two paths read the same timestamps. They
serve requests only, so they are bounded as a request's sessions are on the sync path: the
server's ``statement_timeout`` (``DATABASE_STATEMENT_TIMEOUT``) and the client's reply bound
(``BoundedAsyncConnection``), with TCP keepalives and ``tcp_user_timeout`` from the entry.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any

import psycopg
from django.conf import settings
from django.db import OperationalError, connections
from psycopg.conninfo import make_conninfo
from psycopg_pool import AsyncConnectionPool

from catalog_service.db.bounded import BoundedAsyncConnection
from catalog_service.db.config import PRIMARY_ALIAS, replica_aliases, reply_timeout, statement_timeout_option
from catalog_service.db.health import LAG_SAMPLE_INTERVAL, replica_health
from catalog_service.db.router import read_alias
from catalog_service.observability.recordings import Recordings

log = logging.getLogger("catalog_service.db.routing")

# psycopg's own options; Django's (pool, server_side_binding, ...) are not libpq's.
LIBPQ_OPTIONS = frozenset({
    "connect_timeout", "application_name", "sslmode", "sslrootcert", "sslcert", "sslkey",
    "target_session_attrs", "options", "keepalives", "keepalives_idle", "keepalives_interval",
    "keepalives_count", "tcp_user_timeout",
})  # fmt: skip
POOL_MAX_SIZE = 10

_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, AsyncConnectionPool]] = (
    weakref.WeakKeyDictionary()
)


def conninfo(alias: str) -> str:
    """Return the libpq connection string of ``alias``'s request sessions (its DATABASES entry,
    with the request statement timeout)."""
    entry = connections[alias].settings_dict  # the test runner renames databases here
    return entry_conninfo(entry, statement_timeout=settings.DATABASE_STATEMENT_TIMEOUT)


def entry_conninfo(entry: dict[str, Any], *, statement_timeout: float = 0) -> str:
    """Return the libpq connection string of a DATABASES entry, in UTC, with ``statement_timeout``
    seconds (0: none). PgBouncer refuses the ``options`` startup parameter (1.18; later ones pass
    a few, not ``jit``), so behind it the session is set to UTC once connected
    (``session_configure``, as Django's backend does) and keeps the server's other settings,
    statement_timeout included (see db/config.py)."""
    options = {k: v for k, v in entry.get("OPTIONS", {}).items() if k in LIBPQ_OPTIONS}
    if entry.get("PGBOUNCER"):
        options.pop("options", None)
    else:
        timeout = statement_timeout_option(statement_timeout) if statement_timeout > 0 else ""
        options["options"] = " ".join(filter(None, [options.get("options", ""), "-c TimeZone=UTC", timeout]))
    return make_conninfo(
        dbname=entry["NAME"], user=entry.get("USER") or None, password=entry.get("PASSWORD") or None,
        host=entry.get("HOST") or None, port=entry.get("PORT") or None, **options,
    )  # fmt: skip


async def _in_utc(connection: psycopg.AsyncConnection) -> None:
    await connection.execute("SET TIME ZONE 'UTC'")  # PgBouncer keeps it per client


def session_configure(entry: dict[str, Any]) -> Callable[[psycopg.AsyncConnection], Awaitable[None]] | None:
    """What a new connection of ``entry`` runs first: behind PgBouncer, the time zone that the
    connection string cannot carry."""
    return _in_utc if entry.get("PGBOUNCER") else None


def _bounded_configure(entry: dict[str, Any]) -> Callable[[BoundedAsyncConnection], Awaitable[None]]:
    """The pool's ``configure``: bound the new connection's replies, then ``session_configure``."""
    then = session_configure(entry)
    bound = reply_timeout(settings.DATABASE_STATEMENT_TIMEOUT)

    async def configure(connection: BoundedAsyncConnection) -> None:
        connection.reply_timeout = bound
        if then is not None:
            await then(connection)

    return configure


def _connect_timeout(alias: str) -> float:
    return float(connections[alias].settings_dict.get("OPTIONS", {}).get("connect_timeout", 2))


async def _pool(alias: str) -> AsyncConnectionPool:
    loop = asyncio.get_running_loop()
    pools = _pools.setdefault(loop, {})
    pool = pools.get(alias)
    if pool is None:
        pool = AsyncConnectionPool(
            conninfo(alias), min_size=1, max_size=POOL_MAX_SIZE, open=False, name=f"async-{alias}",
            kwargs={"autocommit": True}, timeout=_connect_timeout(alias), reconnect_timeout=0,
            connection_class=BoundedAsyncConnection,
            configure=_bounded_configure(connections[alias].settings_dict),
        )  # fmt: skip
        pools[alias] = pool
        await pool.open(wait=False)
    return pool


async def close_pools() -> None:
    """Close the running loop's pools (at shutdown, and between tests)."""
    for pool in _pools.pop(asyncio.get_running_loop(), {}).values():
        await pool.close()


# (alias, sql) of every statement, while a recording is active (tests, the benchmark's counts).
statements: Recordings[tuple[str, str]] = Recordings()


async def fetchall(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Run a read on the routed alias and return its rows; fail over once from a dead replica.

    Errors reach the caller as Django's ``OperationalError`` (a ``DatabaseError``), as on the
    sync path, so the API answers them the same way (503).
    """
    _refresh_health_off_the_loop()
    alias = read_alias()
    tried: set[str] = set()
    while True:
        try:
            pool = await _pool(alias)
            async with pool.connection() as conn:
                cursor = await conn.execute(sql, params)
                rows = await cursor.fetchall()
        except psycopg.OperationalError as exc:  # includes the pool's timeout
            if alias == PRIMARY_ALIAS or tried:
                raise OperationalError(str(exc)) from exc
            replica_health.mark_down(alias, exc)
            tried.add(alias)
            alias = read_alias(exclude=frozenset(tried))
            log.info("retried a read on %s", alias)
            continue
        except psycopg.Error as exc:
            raise OperationalError(str(exc)) from exc
        statements.add((alias, sql))
        return rows


_refreshed_at = float("-inf")


def _refresh_health_off_the_loop() -> None:
    """Keep replica health current under ASGI: on the loop the router only reads what it knows
    (reading Redis would block), so a worker thread reads the shared down marks, at most once
    per ``LAG_SAMPLE_INTERVAL`` (the lag has its own sampler threads)."""
    global _refreshed_at
    now = time.monotonic()
    if now - _refreshed_at < LAG_SAMPLE_INTERVAL:
        return
    _refreshed_at = now

    def refresh() -> None:
        for alias in replica_aliases(settings.DATABASES):
            replica_health.usable(alias)  # reads the shared down marks (Redis) into the process

    asyncio.get_running_loop().run_in_executor(None, refresh)
