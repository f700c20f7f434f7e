"""DATABASES built from the primary's URL and the replicas' URLs."""

from __future__ import annotations

from typing import Any

PRIMARY_ALIAS = "default"
REPLICA_ALIAS_PREFIX = "replica"

# Persistent connections with health checks rather than psycopg's pool: under gunicorn's
# sync workers each process serves one request at a time, so one kept-open connection per
# process and alias is all a pool would hold, minus the pool's bookkeeping. CONN_HEALTH_CHECKS
# replaces a connection that died while idle (a restarted or failed-over server) before the
# request uses it. The pool becomes the better choice for threaded or async workers; see
# the README's "Connections" section.
CONN_MAX_AGE = 600

# libpq waits this long for a TCP connection before giving up (libpq's minimum is 2 s),
# so a dead replica costs a request at most this much before failover.
CONNECT_TIMEOUT_SECONDS = 2

# PostgreSQL's JIT compiles a statement whose estimated cost passes jit_above_cost (100,000),
# which a recursive CTE's guessed row count reaches easily: the 100-item subtree listing then
# spent 19 ms compiling to run 3 ms. OLTP statements never win that back, so every session
# turns it off (a startup option: no extra round trip, and nothing to count in query budgets).
SESSION_OPTIONS = "-c jit=off"

# A connection whose peer vanished (a dropped path, a host that died) is noticed by TCP rather
# than after the kernel's two hours: keepalive probes after 5 idle seconds, every 2 s, 3 unanswered
# ones close it; data the peer has not acknowledged for 5 s closes it too (tcp_user_timeout).
# A server that is alive at the TCP level but stops answering (frozen, overloaded) acknowledges
# both, which is what the reply bound in db/bounded.py is for.
KEEPALIVE_OPTIONS = {
    "keepalives": 1,
    "keepalives_idle": 5,
    "keepalives_interval": 2,
    "keepalives_count": 3,
    "tcp_user_timeout": 5000,  # milliseconds
}

# A request's session gives the server DATABASE_STATEMENT_TIMEOUT to answer a statement; the
# client waits this much longer before it gives up on the connection (the server's own timeout
# is the clean failure; this one is for a server that cannot enforce it because it is stuck).
REPLY_MARGIN_SECONDS = 0.5


def statement_timeout_option(seconds: float) -> str:
    """Return the startup option that sets ``statement_timeout`` (0: none)."""
    return f"-c statement_timeout={round(seconds * 1000)}"


def reply_timeout(statement_timeout: float) -> float | None:
    """Return how long a request's connection waits for a reply (None: no bound, as with a
    statement timeout of 0)."""
    return statement_timeout + REPLY_MARGIN_SECONDS if statement_timeout > 0 else None


def replica_alias(index: int) -> str:
    """Return the alias of the replica at ``index`` (0-based): replica1, replica2, ..."""
    return f"{REPLICA_ALIAS_PREFIX}{index + 1}"


def database_entry(
    url_config: dict[str, Any], *, application_name: str, pgbouncer: bool = False
) -> dict[str, Any]:
    """Return one DATABASES entry from a parsed URL, with the service's connection options.

    With ``pgbouncer`` the URL names PgBouncer in transaction pooling mode, where consecutive
    transactions of one client may run in different server sessions, so nothing may outlive a
    transaction on the server: no server-side cursors (``iterator()`` would declare one that a
    later fetch looks for in another session), and no prepared statements (Django's default,
    ``prepare_threshold`` None, kept explicit). Persistent connections (``CONN_MAX_AGE``) stay:
    they are connections to PgBouncer, which is what makes them cheap. PgBouncer refuses the
    ``options`` startup parameter, so behind it ``jit = off`` belongs to the server's
    configuration (docker-compose sets it).
    """
    options: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "application_name": application_name,
        **KEEPALIVE_OPTIONS,
    }
    if pgbouncer:
        options["prepare_threshold"] = None
    url_options = dict(url_config.get("OPTIONS", {}))
    if not pgbouncer:  # ours first, then any the URL gives
        url_options["options"] = " ".join(filter(None, [SESSION_OPTIONS, url_options.get("options")]))
    options.update(url_options)
    return {
        **url_config,
        # Django's PostgreSQL backend, plus failover on replicas and write tracking on the primary.
        "ENGINE": "catalog_service.db.backends.postgresql",
        "OPTIONS": options,
        "CONN_MAX_AGE": CONN_MAX_AGE,
        "CONN_HEALTH_CHECKS": True,
        "DISABLE_SERVER_SIDE_CURSORS": pgbouncer,
        # Read by the connection-budget check: PgBouncer, not this service, bounds server sessions.
        "PGBOUNCER": pgbouncer,
    }


def build_databases(
    primary: dict[str, Any],
    replicas: list[dict[str, Any]],
    extra: dict[str, dict[str, Any]] | None = None,
    *,
    pgbouncer: bool = False,
) -> dict[str, dict[str, Any]]:
    """Return DATABASES: the primary as ``default``, each replica as ``replicaN``, and the
    ``extra`` aliases that ``DATABASE_ROUTES`` may send models to (all behind PgBouncer in
    transaction pooling mode when ``pgbouncer``)."""
    databases = {PRIMARY_ALIAS: database_entry(primary, application_name="catalog", pgbouncer=pgbouncer)}
    for index, replica in enumerate(replicas):
        alias = replica_alias(index)
        databases[alias] = database_entry(replica, application_name=f"catalog-{alias}", pgbouncer=pgbouncer)
    for alias, config in (extra or {}).items():
        databases[alias] = database_entry(config, application_name=f"catalog-{alias}", pgbouncer=pgbouncer)
    return databases


def replica_aliases(databases: dict[str, Any]) -> list[str]:
    """Return the replica aliases present in ``databases``, in order."""
    return [alias for alias in databases if alias.startswith(REPLICA_ALIAS_PREFIX)]
