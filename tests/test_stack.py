"""bin/stack: replication works, one component stops and starts or freezes and thaws, env and
status report it."""

import contextlib
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from catalog_service.db.config import replica_aliases
from tests.conftest import stack, wait_for

pytestmark = pytest.mark.stack


def _status() -> dict[str, str]:
    lines = stack("status").stdout.splitlines()
    return {line.split()[0]: line.split()[1] for line in lines}


def test_env_prints_the_urls_of_the_running_stack():
    env = dict(line.split("=", 1) for line in stack("env").stdout.splitlines())
    assert set(env) == {"DATABASE_URL", "DATABASE_REPLICA_URLS", "MONGODB_URL", "REDIS_URL"}
    assert env["DATABASE_URL"].startswith("postgres://")
    assert env["REDIS_URL"].startswith("redis://127.0.0.1:")


def test_up_is_idempotent_and_status_lists_every_component():
    stack("up")
    status = _status()
    assert {"primary", "replica1", "redis", "mongo"} <= set(status)
    assert all(state in ("up", "external") for state in status.values())


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_row_written_on_the_primary_appears_on_every_replica():
    from tests.factories import CategoryFactory

    category = CategoryFactory(slug="replicated")
    aliases = replica_aliases(settings.DATABASES)
    assert aliases, "the stack has at least one replica"
    for alias in aliases:

        def replicated(alias=alias):
            with connections[alias].cursor() as cursor:
                cursor.execute("SELECT name FROM categories_category WHERE id = %s", [category.pk])
                return cursor.fetchone()

        assert wait_for(replicated) == (category.name,)
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone() == (True,)


def test_stop_and_start_one_component(stack_component):
    alias = replica_aliases(settings.DATABASES)[-1]
    db = settings.DATABASES[alias]
    conninfo = f"host={db['HOST']} port={db['PORT']} dbname=postgres user={db['USER']} connect_timeout=2"
    stack_component(alias)
    assert _status()[alias] == "down"
    assert _status()["primary"] == "up"
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(conninfo)
    stack("start", alias)
    assert _status()[alias] == "up"
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)


def test_an_unknown_component_is_refused():
    result = stack("stop", "nosuch", check=False)
    assert result.returncode != 0
    assert "unknown component" in result.stderr


@contextlib.contextmanager
def frozen(name: str) -> Iterator[None]:
    stack("freeze", name)
    try:
        yield
    finally:
        stack("thaw", name)


def _redis_answers(timeout: float) -> bool:
    url = urlsplit(settings.CACHES["default"]["LOCATION"])
    with socket.create_connection((url.hostname, url.port), timeout=timeout) as sock:
        sock.sendall(b"PING\r\n")
        try:
            return sock.recv(16).startswith(b"+PONG")
        except TimeoutError:
            return False


def test_a_frozen_redis_accepts_connections_and_answers_nothing_until_thawed():
    with frozen("redis"):
        assert _status()["redis"] == "frozen"
        assert not _redis_answers(timeout=0.5)
    assert wait_for(lambda: _redis_answers(timeout=2))
    assert _status()["redis"] == "up"


def test_a_frozen_replica_answers_nothing_until_thawed():
    alias = replica_aliases(settings.DATABASES)[-1]
    db = settings.DATABASES[alias]
    conninfo = f"host={db['HOST']} port={db['PORT']} dbname=postgres user={db['USER']} connect_timeout=1"
    with frozen(alias):
        assert _status()[alias] == "frozen"
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(conninfo)
    with psycopg.connect(conninfo) as conn:
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone() == (True,)
