"""Readiness checks of the service's backing servers, each bounded by a short timeout."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

import psycopg
import pymongo
from django.conf import settings
from django_redis import get_redis_connection

from catalog_service.caching.counters import stats
from catalog_service.db.config import PRIMARY_ALIAS
from catalog_service.db.health import REPLICA_LAG_SQL, replica_health
from catalog_service.documents.client import get_client


@dataclass
class CheckResult:
    name: str
    status: str  # "up", "down", or for a replica "lagging"
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, **self.detail}


def _conninfo(alias: str, timeout: float) -> dict[str, Any]:
    db = settings.DATABASES[alias]
    return {
        "host": db["HOST"],
        "port": db["PORT"] or 5432,
        "dbname": db["NAME"],
        "user": db["USER"],
        "password": db["PASSWORD"] or None,
        "connect_timeout": max(2, int(timeout + 0.999)),
        "application_name": "catalog-readyz",
    }


def check_postgres(alias: str, timeout: float) -> dict[str, Any]:
    """Return details of ``alias``'s server (a replica's replay lag); raise when it is down."""
    with psycopg.connect(**_conninfo(alias, timeout), autocommit=True) as conn, conn.transaction():
        # SET LOCAL: behind PgBouncer a session-level SET would stay on a pooled server session.
        conn.execute(f"SET LOCAL statement_timeout = {int(timeout * 1000)}")
        if alias == PRIMARY_ALIAS:
            conn.execute("SELECT 1")
            return {}
        in_recovery, lag = conn.execute(f"SELECT pg_is_in_recovery(), ({REPLICA_LAG_SQL})").fetchone()
    detail: dict[str, Any] = {"in_recovery": in_recovery, "lag_seconds": round(float(lag), 3)}
    if float(lag) > settings.MAX_REPLICA_LAG_SECONDS:
        detail["status"] = "lagging"
    until = replica_health.down_until(alias)
    if until is not None:  # it answers now, but this process still routes around it
        detail["skipped_by_router_for_seconds"] = round(until - time.time(), 1)
    return detail


def check_mongodb(timeout: float) -> dict[str, Any]:
    """Return MongoDB's version; raise when it does not answer a ping within ``timeout``."""
    with pymongo.timeout(timeout):
        client = get_client()
        client.admin.command("ping")
        return {"version": client.server_info()["version"]}


def check_redis(timeout: float) -> dict[str, Any]:
    """Ping the cache's Redis (raise when it does not answer); report the cache's counters."""
    get_redis_connection("default").ping()
    return {"cache": stats()}


def all_checks(timeout: float) -> dict[str, Callable[[], dict[str, Any]]]:
    """Return name -> check for every backing server of this deployment."""
    checks: dict[str, Callable[[], dict[str, Any]]] = {}
    for alias in settings.DATABASES:
        name = "primary" if alias == PRIMARY_ALIAS else alias
        checks[name] = lambda alias=alias: check_postgres(alias, timeout)
    checks["mongodb"] = lambda: check_mongodb(timeout)
    checks["redis"] = lambda: check_redis(timeout)
    return checks


def run_checks(timeout: float | None = None) -> list[CheckResult]:
    """Run every check concurrently; a check that raises or outlives ``timeout`` is down."""
    timeout = settings.READINESS_TIMEOUT_SECONDS if timeout is None else timeout
    checks = all_checks(timeout)
    pool = ThreadPoolExecutor(max_workers=len(checks), thread_name_prefix="readyz")
    started = time.monotonic()
    futures = {name: pool.submit(check) for name, check in checks.items()}
    wait(futures.values(), timeout=timeout)
    # Do not wait for a hung check: its thread ends on its own socket timeout.
    pool.shutdown(wait=False, cancel_futures=True)
    results = []
    for name, future in futures.items():
        if not future.done():
            results.append(CheckResult(name, "down", {"error": f"no answer within {timeout:g}s"}))
            continue
        try:
            detail = future.result()
        except Exception as exc:  # any failure of a dependency means "down", with its reason
            results.append(CheckResult(name, "down", {"error": f"{type(exc).__name__}: {exc}"[:300]}))
        else:
            results.append(CheckResult(name, detail.pop("status", "up"), detail))
    elapsed = time.monotonic() - started
    for result in results:
        result.detail.setdefault("checked_in_ms", round(elapsed * 1000, 1))
    return results
