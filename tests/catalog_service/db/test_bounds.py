"""Every call to Postgres is bounded: a statement timeout and a reply bound for request sessions
(not for migrations or commands), TCP keepalives and tcp_user_timeout on every connection, replay
lag sampled off the request path with a timeout of its own."""

from __future__ import annotations

import asyncio
import contextlib
import time

import psycopg
import pytest
from django.conf import settings
from django.db import OperationalError, connections
from psycopg.conninfo import conninfo_to_dict

from catalog_service.db import aio, state
from catalog_service.db.config import KEEPALIVE_OPTIONS, reply_timeout
from catalog_service.db.health import LAG_REPLY_TIMEOUT, replica_health
from catalog_service.db.router import connects
from tests.conftest import stack, wait_for, wait_for_replicas

pytestmark = pytest.mark.django_db(transaction=True)


@contextlib.contextmanager
def request_scope():
    """What the routing middleware does for a safe request (connections opened here are a
    request's sessions)."""
    with state.scope(state.RoutingState(in_request=True, safe_request=True)):
        yield


def show(alias: str, name: str) -> str:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SHOW {name}")
        return cursor.fetchone()[0]


@pytest.mark.parametrize("alias", ["default", "replica1"])
def test_request_sessions_have_the_statement_timeout_and_others_none(alias, settings):
    settings.DATABASE_STATEMENT_TIMEOUT = 1.5
    connections[alias].close()
    assert show(alias, "statement_timeout") == "0"  # a command's or a migration's session
    connections[alias].close()
    with request_scope():
        assert show(alias, "statement_timeout") == "1500ms"
        assert connections[alias].connection.reply_timeout == reply_timeout(1.5) == 2.0
    connections[alias].close()


def test_a_statement_past_the_timeout_is_cancelled_by_the_server(settings):
    settings.DATABASE_STATEMENT_TIMEOUT = 0.3
    connections["default"].close()
    with request_scope(), state.use_primary():
        start = time.monotonic()
        with pytest.raises(OperationalError, match="statement timeout"), connections["default"].cursor() as c:
            c.execute("SELECT pg_sleep(5)")
        assert time.monotonic() - start < 2
        assert show("default", "statement_timeout") == "300ms"  # the session survives it
    connections["default"].close()


def test_the_asyncio_pools_sessions_have_the_statement_timeout_and_a_reply_bound():
    async def check():
        with state.use_replica():
            rows = await aio.fetchall("SHOW statement_timeout", [])
        await aio.close_pools()
        return rows[0][0]

    assert asyncio.run(check()) == f"{round(settings.DATABASE_STATEMENT_TIMEOUT * 1000)}ms"


def test_every_connection_has_keepalives_and_a_tcp_user_timeout():
    for alias in connections:
        options = settings.DATABASES[alias]["OPTIONS"]
        assert {k: options[k] for k in KEEPALIVE_OPTIONS} == KEEPALIVE_OPTIONS
        async_options = conninfo_to_dict(aio.conninfo(alias))
        assert {k: int(async_options[k]) for k in KEEPALIVE_OPTIONS} == KEEPALIVE_OPTIONS
    with psycopg.connect(aio.conninfo("default")) as conn:  # libpq takes them
        assert conn.execute("SELECT 1").fetchone() == (1,)


@pytest.fixture
def frozen_replica1():
    """replica1 frozen (``bin/stack freeze``) for the test, thawed after it whatever happens."""
    wait_for_replicas()
    stack("freeze", "replica1")
    try:
        yield "replica1"
    finally:
        stack("thaw", "replica1", check=False)
        connections.close_all()


def warm(alias: str) -> None:
    """Open ``alias``'s session as a request does (bounded), and use it."""
    with request_scope():
        connections[alias].close()
        assert show(alias, "statement_timeout") != "0"


@pytest.mark.faults
@pytest.mark.stack
def test_a_read_on_a_replica_that_froze_under_an_open_session_is_answered_by_another_host(request):
    warm("replica1")
    request.getfixturevalue("frozen_replica1")
    bound = reply_timeout(settings.DATABASE_STATEMENT_TIMEOUT)
    with request_scope():
        start = time.monotonic()
        with connections["replica1"].cursor() as cursor:  # the open session: no connect to fail
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone() == (True,)  # from replica2, which is a replica too
        elapsed = time.monotonic() - start
    assert bound <= elapsed < bound + 1, elapsed
    assert replica_health.is_down("replica1")


@pytest.mark.faults
@pytest.mark.stack
def test_the_health_check_of_a_frozen_replica_marks_it_down_without_a_reconnect(request):
    warm("replica1")
    request.getfixturevalue("frozen_replica1")
    with request_scope():
        state.current().replica = None
        connections["replica1"].health_check_done = False  # as at the start of a request
        start = time.monotonic()
        assert not connects("replica1")
        elapsed = time.monotonic() - start
    # The reply bound, not the reply bound plus a connect timeout to the same frozen server.
    assert elapsed < reply_timeout(settings.DATABASE_STATEMENT_TIMEOUT) + 1, elapsed
    assert replica_health.is_down("replica1")


@pytest.mark.faults
@pytest.mark.stack
def test_an_asyncio_read_on_a_frozen_replica_is_answered_by_another_host(request):
    async def scenario():
        with state.use_replica():
            for _ in range(20):  # until the loop's pool for replica1 has its connection
                await aio.fetchall("SELECT 1", [])
        request.getfixturevalue("frozen_replica1")
        timings = []
        with aio.statements.record() as statements, request_scope():
            for _ in range(5):
                start = time.monotonic()
                assert await aio.fetchall("SELECT pg_is_in_recovery()", []) == [(True,)]
                timings.append(time.monotonic() - start)
        await aio.close_pools()
        return timings, {alias for alias, _ in statements}

    timings, served_by = asyncio.run(scenario())
    assert max(timings) < reply_timeout(settings.DATABASE_STATEMENT_TIMEOUT) + 1, timings
    assert served_by == {"replica2"}


@pytest.mark.faults
@pytest.mark.stack
def test_replay_lag_is_sampled_off_the_request_path_and_a_frozen_replica_is_marked_down(request):
    wait_for(lambda: replica_health.lag("replica1") is not None, timeout=10)
    request.getfixturevalue("frozen_replica1")
    start = time.monotonic()
    for _ in range(50):
        replica_health.usable("replica1")  # what the router asks on every read
    assert time.monotonic() - start < 0.5  # never waits for the replica
    # The sampler gives up within its reply timeout (plus a connect timeout if it reconnects).
    wait_for(lambda: replica_health.is_down("replica1"), timeout=LAG_REPLY_TIMEOUT + 4)
