"""Every session the service opens runs with PostgreSQL's JIT off (see db/config.py)."""

import asyncio

import psycopg
import pytest
from django.db import connections

from catalog_service.db import aio
from catalog_service.db.config import SESSION_OPTIONS, database_entry

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.mark.parametrize("alias", ["default", "replica1"])
def test_django_sessions_run_without_jit(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_the_async_driver_sessions_run_without_jit():
    async def show(alias):
        async with await psycopg.AsyncConnection.connect(aio.conninfo(alias)) as conn:
            return (await (await conn.execute("SHOW jit")).fetchone())[0]

    assert {asyncio.run(show(alias)) for alias in ("default", "replica1")} == {"off"}


def test_options_from_the_url_keep_ours_and_pgbouncer_gets_none():
    entry = database_entry({"OPTIONS": {"options": "-c statement_timeout=5s"}}, application_name="x")
    assert entry["OPTIONS"]["options"] == f"{SESSION_OPTIONS} -c statement_timeout=5s"
    # PgBouncer refuses the options startup parameter: the server's configuration sets it there.
    assert "options" not in database_entry({}, application_name="x", pgbouncer=True)["OPTIONS"]
