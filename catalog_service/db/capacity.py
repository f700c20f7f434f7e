"""Postgres connections the service needs, against what each server allows.

A gunicorn worker process holds, per thread (sync workers have one):

- one persistent Django connection per alias it uses (``CONN_MAX_AGE``), so one on the
  primary and one on each replica it reads from;

and per process:

- on each replica, the replay-lag sampler's own connection (``catalog_service.db.health``);
- on each server, one short-lived connection while the process answers ``/readyz``.

Besides the web workers: each outbox relay holds one connection to the primary, and a margin
is left for ``migrate``, ``reconcile_documents`` and a person with ``psql``. Postgres keeps
``superuser_reserved_connections`` (and, from 16, ``reserved_connections``) for itself.
"""

from __future__ import annotations

import runpy
from dataclasses import dataclass
from pathlib import Path

from django.db import connections

GUNICORN_CONFIG = Path(__file__).resolve().parents[2] / "config" / "gunicorn.conf.py"
RELAY_PROCESSES = 1
MANAGEMENT_CONNECTIONS = 5


@dataclass(frozen=True)
class WebPlan:
    """How gunicorn serves: ``workers`` processes of ``threads`` threads each."""

    workers: int
    threads: int = 1


@dataclass(frozen=True)
class ServerCapacity:
    max_connections: int
    reserved: int

    @property
    def usable(self) -> int:
        """Return the connections an ordinary role may open."""
        return self.max_connections - self.reserved


def gunicorn_plan(path: Path = GUNICORN_CONFIG) -> WebPlan:
    """Return the workers and threads that gunicorn's config file sets in this environment
    (it reads ``WEB_CONCURRENCY`` and the CPU count itself)."""
    config = runpy.run_path(str(path))
    return WebPlan(workers=int(config.get("workers", 1)), threads=int(config.get("threads", 1)))


def connections_needed(plan: WebPlan, *, replica: bool) -> int:
    """Return the connections one gunicorn deployment with ``plan`` may open on one server
    (a replica, or the primary), with the relay and the management margin."""
    per_process = plan.threads + 1 + (1 if replica else 0)  # Django's, readyz's, the lag sampler's
    total = plan.workers * per_process + MANAGEMENT_CONNECTIONS
    return total if replica else total + RELAY_PROCESSES


def server_capacity(alias: str) -> ServerCapacity:
    """Return ``alias``'s server limits, read from the server (``pg_settings``)."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT name, setting::int FROM pg_settings WHERE name IN "
            "('max_connections', 'superuser_reserved_connections', 'reserved_connections')"
        )
        values = dict(cursor.fetchall())
    return ServerCapacity(
        values["max_connections"],
        values["superuser_reserved_connections"] + values.get("reserved_connections", 0),
    )
