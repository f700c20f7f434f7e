"""The database router: writes to the primary, reads to a healthy replica.

Reads go to the primary instead when the unit of work has written, when the client is
pinned after a recent write (see ``middleware``), inside ``transaction.atomic`` on the
primary, or under ``use_primary()``. Models named in ``DATABASE_ROUTES`` live in the alias
named there, for reads, writes and migrations alike.

The router decides for the databases it manages: the primary, its replicas and the aliases
``DATABASE_ROUTES`` names. About any other database it has no opinion and returns None, so a
router listed after it in ``DATABASE_ROUTERS`` decides (or, when none does, Django's default:
an object stays in the database it came from). That covers an object read with ``using()``
from a database outside its model's home (its saves and its relations' reads), relations
involving such an object, and migrations on a database the router does not manage. A router
that owns some apps outright goes before this one.
"""

from __future__ import annotations

import random
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, models

from catalog_service.db import state
from catalog_service.db.config import PRIMARY_ALIAS, replica_aliases
from catalog_service.db.health import replica_health
from catalog_service.event_loop import in_event_loop


def routed_alias(app_label: str, model_name: str | None = None) -> str | None:
    """Return the alias ``DATABASE_ROUTES`` gives this model (``app.Model`` before ``app``)."""
    routes: dict[str, str] = getattr(settings, "DATABASE_ROUTES", {})
    if not routes:
        return None
    if model_name:
        for key, alias in routes.items():
            if key.lower() == f"{app_label}.{model_name}".lower():
                return alias
    return routes.get(app_label)


def _model_route(model: type[models.Model]) -> str | None:
    return routed_alias(model._meta.app_label, model._meta.model_name)


def managed_aliases() -> frozenset[str]:
    """Return the databases this router decides for: the primary, its replicas, the routed aliases."""
    routes: dict[str, str] = getattr(settings, "DATABASE_ROUTES", {})
    return frozenset({PRIMARY_ALIAS, *replica_aliases(settings.DATABASES), *routes.values()})


def lives_outside_its_home(obj: models.Model) -> bool:
    """Return True when ``obj`` was read from a database its model does not live in under this
    router (``using()`` chose it): neither its ``DATABASE_ROUTES`` alias nor, for an unrouted
    model, the primary or a replica."""
    db = obj._state.db  # Django's record of where the object was read from, None when unsaved
    if db is None:
        return False
    route = _model_route(type(obj))
    if route is not None:
        return db != route
    return db != PRIMARY_ALIAS and db not in replica_aliases(settings.DATABASES)


def _instance_elsewhere(hints: dict[str, Any]) -> bool:
    instance = hints.get("instance")
    return instance is not None and lives_outside_its_home(instance)


def connects(alias: str) -> bool:
    """Return True when ``alias`` has, or can open, a connection; mark it down when it cannot.

    On an event loop's thread nothing is opened (that would block); the first query tells. A
    kept connection whose health check gets no reply marks the replica down (see the backend).
    """
    if in_event_loop():
        return True
    connection = connections[alias]
    try:
        connection.close_if_health_check_failed()
        if replica_health.is_down(alias):  # its health check went unanswered: do not reconnect
            connection.close()
            return False
        connection.ensure_connection()
    except DatabaseError as exc:
        replica_health.mark_down(alias, exc)
        connection.close()
        return False
    replica_health.mark_up(alias)
    return True


def choose_replica(*, exclude: frozenset[str] = frozenset()) -> str | None:
    """Return a usable replica for the current unit of work, or None when there is none.

    The unit of work keeps its replica while it stays usable (its reads then come from one
    host); otherwise the healthy replicas are tried in random order, so load spreads.
    """
    current = state.current()
    aliases = [a for a in replica_aliases(settings.DATABASES) if a not in exclude]
    if current.replica in aliases and replica_health.usable(current.replica):
        return current.replica
    random.shuffle(aliases)
    for alias in aliases:
        if replica_health.usable(alias) and connects(alias):
            current.replica = alias
            replica_health.note_fallback(False)
            return alias
    current.replica = None
    return None


def read_alias(*, exclude: frozenset[str] = frozenset()) -> str:
    """Return where the current unit of work reads catalog data (the primary as a last resort)."""
    forced = state.forced()
    current = state.current()
    if forced == "primary":
        return PRIMARY_ALIAS
    if forced != "replica" and (
        current.pinned or current.wrote or connections[PRIMARY_ALIAS].in_atomic_block
    ):
        return PRIMARY_ALIAS
    alias = choose_replica(exclude=exclude)
    if alias is None:
        current.fell_back = True
        if replica_aliases(settings.DATABASES):
            replica_health.note_fallback(True)
        return PRIMARY_ALIAS
    return alias


class PrimaryReplicaRouter:
    """Django database router (``DATABASE_ROUTERS``); returns None where it has no opinion:
    for objects and databases outside the ones it manages (see the module's docstring)."""

    def db_for_read(self, model: type[models.Model], **hints: Any) -> str | None:
        if _instance_elsewhere(hints):
            return None
        return _model_route(model) or read_alias()

    def db_for_write(self, model: type[models.Model], **hints: Any) -> str | None:
        # An object read from a replica is still written to the primary: the replica is ours.
        if _instance_elsewhere(hints):
            return None
        return _model_route(model) or PRIMARY_ALIAS

    def allow_relation(self, obj1: models.Model, obj2: models.Model, **hints: Any) -> bool | None:
        if lives_outside_its_home(obj1) or lives_outside_its_home(obj2):
            return None

        # The primary and its replicas hold the same data; a routed alias is a world of its own.
        def home(obj: models.Model) -> str:
            return _model_route(type(obj)) or PRIMARY_ALIAS

        return True if home(obj1) == home(obj2) else None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        if db in replica_aliases(settings.DATABASES):
            return False  # replicas receive the schema through replication
        if db not in managed_aliases():
            return None  # a database another router (or a using() caller) looks after
        return db == (routed_alias(app_label, model_name) or PRIMARY_ALIAS)
