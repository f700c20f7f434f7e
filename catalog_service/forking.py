"""Fork safety for pre-forking servers (gunicorn's ``--preload``)."""

from __future__ import annotations


def release_connections() -> None:
    """Close the Postgres connections (and pools) and the MongoClient this process opened.

    For the master of a pre-forking server, just before it forks: the child would otherwise
    inherit the sockets, and nothing can close an inherited Postgres connection without ending
    the session for its owner too. Does nothing when Django is not set up yet (the application
    is loaded in each worker, not preloaded).
    """
    # Imported when called: gunicorn's master runs this before Django is set up.
    from django.apps import apps

    if not apps.ready:
        return
    # Only now that the apps are ready may the models' modules be imported.
    from django.db import connections

    from catalog_service.db.health import replica_health
    from catalog_service.documents.client import close_client

    for connection in connections.all(initialized_only=True):
        connection.close()
        if connection.alias in getattr(type(connection), "_connection_pools", {}):
            connection.close_pool()  # psycopg's pool runs threads, which a fork does not copy
    replica_health.forget()  # closes its replay-lag connections
    close_client()
