"""Execute wrappers of the failover-aware backend.

On a replica, a read whose connection dies mid-statement (outside a transaction) is retried
once on another host: the replica is marked down, and the statement runs again on the next
usable replica or the primary, the caller's cursor reading the new host's result.

On the primary, writes mark the unit of work (its later reads then come from the primary),
and the primary-read guard reports reads that reach the primary during a safe, unpinned
request, so accidental load on the primary shows.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, connections

from catalog_service.db import state
from catalog_service.db.health import replica_health
from catalog_service.db.router import read_alias

log = logging.getLogger("catalog_service.db.routing")

WRITE_KEYWORDS = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "COPY", "TRUNCATE", "WITH",
                            "CREATE", "ALTER", "DROP"})  # fmt: skip
# SQLSTATE classes that mean the session is gone: connection exceptions, operator intervention.
DEAD_SESSION_STATES = ("08", "57P")


class PrimaryReadOnSafeRequest(DatabaseError):
    """A read reached the primary during a safe, unpinned request (the guard in "raise" mode)."""


# A WITH statement writes only when one of its parts does (a data-modifying CTE).
CTE_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def first_keyword(sql: str) -> str:
    """Return the statement's verb; a read-only WITH statement counts as a SELECT."""
    keyword = sql.lstrip(" \t\n(").split(None, 1)[0].upper() if sql.strip() else ""
    if keyword == "WITH" and not CTE_WRITE.search(sql):
        return "SELECT"
    return keyword


def _session_died(connection: Any, exc: BaseException) -> bool:
    raw = connection.connection
    if raw is None or getattr(raw, "closed", False) or getattr(raw, "broken", False):
        return True
    sqlstate = getattr(getattr(exc, "__cause__", None), "sqlstate", None) or ""
    return sqlstate.startswith(DEAD_SESSION_STATES)


def retry_on_another_host(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                          context: dict[str, Any]) -> Any:  # fmt: skip
    """Run the statement; if the replica's session dies under it, run it once elsewhere."""
    try:
        return execute(sql, params, many, context)
    except (OperationalError, InterfaceError) as exc:
        connection, cursor = context["connection"], context["cursor"]
        if connection.in_atomic_block or many or getattr(cursor.cursor, "name", None):
            raise
        if not _session_died(connection, exc):
            raise
        replica_health.mark_down(connection.alias, exc)
        connection.close()
        other = connections[read_alias(exclude=frozenset({connection.alias}))]
        other.ensure_connection()
        raw = other.create_cursor()
        cursor.cursor = raw  # the caller fetches through its wrapper, from the new host
        with other.wrap_database_errors:
            log.info("retried a read from %s on %s", connection.alias, other.alias)
            return raw.execute(sql, params)


def watch_primary(execute: Callable[..., Any], sql: str, params: Any, many: bool,
                  context: dict[str, Any]) -> Any:  # fmt: skip
    """Mark writes on the current unit of work; report reads the router did not send here."""
    keyword = first_keyword(sql)
    current = state.current()
    if keyword in WRITE_KEYWORDS:
        current.wrote = True
        result = execute(sql, params, many, context)
        _on_commit(context["connection"], current)  # after it ran: a failed write commits nothing
        return result
    if keyword == "SELECT":
        _guard(current, context["connection"], sql)
    return execute(sql, params, many, context)


def _on_commit(connection: Any, current: state.RoutingState) -> None:
    """Mark the unit of work's write committed when it is: at once in autocommit, at the
    commit of an atomic block, never after a rollback."""
    if not connection.in_atomic_block and not connection.get_autocommit():
        return  # manual transaction management: Django cannot tell when it commits
    connection.on_commit(functools.partial(_mark_committed, current))


def _mark_committed(current: state.RoutingState) -> None:
    current.committed_write = True


def _guard(current: state.RoutingState, connection: Any, sql: str) -> None:
    mode = settings.DATABASE_PRIMARY_READ_GUARD
    if mode == "off" or not (current.in_request and current.safe_request):
        return
    if current.pinned or current.wrote or current.fell_back or connection.in_atomic_block:
        return
    if state.forced() == "primary":
        return
    message = f"read on the primary during a safe, unpinned request: {sql[:200]}"
    if mode == "raise":
        raise PrimaryReadOnSafeRequest(message)
    log.warning(message)
