"""PostgreSQL backend that knows its role: replicas fail over, the primary is watched, and a
request's session is bounded (a statement timeout on the server, a reply bound on the client)."""

from __future__ import annotations

from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.postgresql import base

from catalog_service.db import state
from catalog_service.db.bounded import BoundedConnection
from catalog_service.db.config import (
    PRIMARY_ALIAS,
    REPLICA_ALIAS_PREFIX,
    reply_timeout,
    statement_timeout_option,
)
from catalog_service.db.failover import retry_on_another_host, watch_primary
from catalog_service.db.health import replica_health


class _Driver:
    """psycopg as Django's backend sees it (its errors, adapters and the rest), except that it
    connects with ``BoundedConnection``: Django calls ``Database.connect`` and offers no other
    way to choose the connection class."""

    connect = staticmethod(BoundedConnection.connect)

    def __getattr__(self, name: str) -> Any:
        return getattr(psycopg, name)


def _request_session() -> bool:
    """A connection opened while serving a request belongs to the web path: its thread (a
    worker's, or the ASGI path's sync thread) serves requests only. Management commands and
    migrations open theirs outside requests and are not bounded (a migration may wait on a lock
    for as long as it takes)."""
    return state.current().in_request


class DatabaseWrapper(base.DatabaseWrapper):
    Database = _Driver()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.alias.startswith(REPLICA_ALIAS_PREFIX):
            self.execute_wrappers.append(retry_on_another_host)
        elif self.alias == PRIMARY_ALIAS:
            self.execute_wrappers.append(watch_primary)

    def get_connection_params(self) -> dict[str, Any]:
        params = super().get_connection_params()
        seconds = settings.DATABASE_STATEMENT_TIMEOUT
        # Behind PgBouncer the options startup parameter is refused: the server's (or the
        # role's) configuration sets statement_timeout there, as it does jit.
        if _request_session() and seconds > 0 and not self.settings_dict.get("PGBOUNCER"):
            options = [params.get("options"), statement_timeout_option(seconds)]
            params["options"] = " ".join(filter(None, options))
        return params

    def get_new_connection(self, conn_params: dict[str, Any]) -> BoundedConnection:
        connection = super().get_new_connection(conn_params)
        if _request_session():
            connection.reply_timeout = reply_timeout(settings.DATABASE_STATEMENT_TIMEOUT)
        return connection

    def is_usable(self) -> bool:
        """Django's health check (``SELECT 1``), which on a replica that stopped answering also
        marks it down: the router then skips it instead of spending a connect timeout on a
        new connection to a server that accepts connections and answers nothing."""
        raw = self.connection
        if super().is_usable():
            return True
        if getattr(raw, "stalled", False) and self.alias.startswith(REPLICA_ALIAS_PREFIX):
            replica_health.mark_down(self.alias, "no reply to the health check")
        return False
