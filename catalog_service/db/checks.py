"""System checks of the routing configuration (``manage.py check``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DatabaseError

from catalog_service.db import capacity
from catalog_service.db.config import REPLICA_ALIAS_PREFIX, replica_aliases


@register(Tags.database, deploy=False)
def check_database_routes(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """DATABASE_ROUTES must name installed apps or models and databases that exist."""
    errors = []
    replicas = set(replica_aliases(settings.DATABASES))
    for target, alias in getattr(settings, "DATABASE_ROUTES", {}).items():
        if alias not in settings.DATABASES:
            errors.append(Error(
                f"DATABASE_ROUTES sends {target!r} to {alias!r}, which is not in DATABASES.",
                hint="Add it with DATABASE_EXTRA_URLS=alias=postgres://...",
                id="catalog_service.E001",
            ))  # fmt: skip
        elif alias in replicas:
            errors.append(Error(
                f"DATABASE_ROUTES sends {target!r} to the replica {alias!r}; replicas are read-only.",
                id="catalog_service.E002",
            ))  # fmt: skip
        app_label, _, model_name = target.partition(".")
        try:
            config = apps.get_app_config(app_label)
            if model_name:
                config.get_model(model_name)
        except LookupError:
            errors.append(Error(
                f"DATABASE_ROUTES names {target!r}, which is not an installed app or model.",
                id="catalog_service.E003",
            ))  # fmt: skip
    return errors


@register(Tags.database)
def check_connection_budget(
    app_configs: Any = None, databases: list[str] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """gunicorn's workers (config/gunicorn.conf.py) must fit in each server's max_connections.

    A database check: it runs with ``manage.py check --database default`` (one alias per
    ``--database``) and before ``migrate``. Aliases behind PgBouncer are left out: the pooler,
    not the workers, decides how many server sessions there are.
    """
    messages: list[CheckMessage] = []
    plan = capacity.gunicorn_plan()
    for alias in databases or []:
        entry = settings.DATABASES.get(alias)
        if entry is None or entry.get("PGBOUNCER"):
            continue
        needed = capacity.connections_needed(plan, replica=alias.startswith(REPLICA_ALIAS_PREFIX))
        try:
            server = capacity.server_capacity(alias)
        except DatabaseError as exc:
            messages.append(Warning(
                f"Could not read max_connections of {alias!r}: {exc}", id="catalog_service.W004"
            ))  # fmt: skip
            continue
        if needed > server.usable:
            messages.append(Error(
                f"{alias!r} may need {needed} connections ({plan.workers} gunicorn workers x "
                f"{plan.threads} threads, see catalog_service/db/capacity.py) but its server allows "
                f"{server.usable} (max_connections {server.max_connections} - {server.reserved} reserved).",
                hint="Lower WEB_CONCURRENCY, raise max_connections, or put PgBouncer in front "
                "(DATABASE_PGBOUNCER=true).",
                id="catalog_service.E004",
            ))  # fmt: skip
    return messages
