from contextlib import contextmanager

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from django.db.utils import load_backend

from catalog_service.db.config import PRIMARY_ALIAS, replica_aliases
from tests.conftest import queries_by_alias  # noqa: F401  (re-exported for the routing tests)


def server_port(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT inet_server_port()")
        return cursor.fetchone()[0]


@pytest.fixture
def replica_ports():
    return {alias: int(settings.DATABASES[alias]["PORT"]) for alias in replica_aliases(settings.DATABASES)}


def _admin_connection(db):
    return psycopg.connect(
        host=db["HOST"], port=db["PORT"], dbname="postgres", user=db["USER"], autocommit=True
    )


@contextmanager
def extra_database(alias):
    """A real, empty database on the primary's server, registered as ``alias`` (as a
    deployment's DATABASE_EXTRA_URLS would add one) while the block runs, then dropped."""
    db = dict(connections[PRIMARY_ALIAS].settings_dict)
    db["NAME"] = f"{db['NAME']}_{alias}"
    with _admin_connection(db) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}"')
        conn.execute(f'CREATE DATABASE "{db["NAME"]}"')
    connections[alias] = load_backend(db["ENGINE"]).DatabaseWrapper(db, alias)
    try:
        yield db
    finally:
        connections[alias].close()
        del connections[alias]
        with _admin_connection(db) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db["NAME"]}" WITH (FORCE)')


def tables(alias):
    """Return the names of the tables in ``alias``'s public schema."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row[0] for row in cursor.fetchall()}
