"""Readiness checks of the service's backing servers, over connections this process reuses.

Each check returns details of its server (for the detailed /readyz body) or raises when the
server does not answer. A check is always run by ``catalog_service.health.monitor``, one at a
time per server and bounded by its timeout, so a check's connection is never shared between
threads.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from typing import Any

import psycopg
import pymongo
from django.conf import settings
from django.db import connections
from django_redis import get_redis_connection

from catalog_service.caching.counters import stats
from catalog_service.db.config import PRIMARY_ALIAS
from catalog_service.db.health import REPLICA_LAG_SQL, replica_health
from catalog_service.documents.client import get_client

Check = Callable[[float], dict[str, Any]]


class PostgresCheck:
    """Check one database alias over a connection of its own, opened once per process and kept.

    Django's connections are per thread, so checking through them would open one per thread
    that answers /readyz; this one connection is all the checks of a process need.
    """

    def __init__(self, alias: str) -> None:
        self.alias = alias
        self._conn: psycopg.Connection | None = None
        self._pid = os.getpid()

    def __call__(self, timeout: float) -> dict[str, Any]:
        """Return details of the server (a replica's replay lag); raise when it is down."""
        reused = self._connection_is_open()
        try:
            return self._check(timeout)
        except psycopg.Error:
            self.close()
            if not reused:
                raise
        # A kept connection may have been closed while idle (a restart, an idle timeout): one
        # fresh connection tells that apart from a server that is down.
        try:
            return self._check(timeout)
        except psycopg.Error:
            self.close()
            raise

    def close(self) -> None:
        """Close the kept connection (the next check opens a new one)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(psycopg.Error):
                conn.close()

    def _connection_is_open(self) -> bool:
        if self._pid != os.getpid():  # forked: the parent's socket is not ours to use or close
            self._conn, self._pid = None, os.getpid()
        return self._conn is not None and not self._conn.closed

    def _connect(self) -> psycopg.Connection:
        # The alias's own parameters: its host, credentials, connect timeout, session options
        # and PgBouncer settings (no prepared statements), under a name of its own.
        params = connections[self.alias].get_connection_params()
        params["application_name"] = "catalog-readyz"
        params.pop("cursor_factory", None)
        params.pop("context", None)
        return psycopg.connect(**params, autocommit=True)

    def _check(self, timeout: float) -> dict[str, Any]:
        if not self._connection_is_open():
            self._conn = self._connect()
        conn = self._conn
        # SET LOCAL: behind PgBouncer a session-level SET would stay on a pooled server session.
        with conn.transaction():
            conn.execute(f"SET LOCAL statement_timeout = {max(1, int(timeout * 1000))}")
            if self.alias == PRIMARY_ALIAS:
                conn.execute("SELECT 1")
                return {}
            in_recovery, lag = conn.execute(f"SELECT pg_is_in_recovery(), ({REPLICA_LAG_SQL})").fetchone()
        detail: dict[str, Any] = {"in_recovery": in_recovery, "lag_seconds": round(float(lag), 3)}
        if float(lag) > settings.MAX_REPLICA_LAG_SECONDS:
            detail["status"] = "lagging"
        until = replica_health.down_until(self.alias)
        if until is not None:  # it answers now, but this process still routes around it
            detail["skipped_by_router_for_seconds"] = round(until - time.time(), 1)
        return detail


def check_mongodb(timeout: float) -> dict[str, Any]:
    """Return MongoDB's version (one round trip on the process's client and pool); raise when
    it does not answer within ``timeout``."""
    with pymongo.timeout(timeout):
        return {"version": get_client().admin.command("buildInfo")["version"]}


def check_redis(timeout: float) -> dict[str, Any]:
    """Ping the cache's Redis over its pool (raise when it does not answer within its 100 ms
    socket timeout); report the cache's counters."""
    get_redis_connection("default").ping()
    return {"cache": stats()}


def server_checks() -> dict[str, Check]:
    """Return name -> check for every backing server of this deployment."""
    checks: dict[str, Check] = {}
    for alias in settings.DATABASES:
        checks["primary" if alias == PRIMARY_ALIAS else alias] = PostgresCheck(alias)
    checks["mongodb"] = check_mongodb
    checks["redis"] = check_redis
    return checks
