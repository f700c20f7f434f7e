"""/readyz behind a real gunicorn (2 workers x 4 threads) on the test stack: a burst of calls
costs at most one new connection per server and worker, and a frozen replica cannot hang it."""

import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.conf import settings
from django.db import connections

from catalog_service.db.config import PRIMARY_ALIAS, replica_aliases
from tests.conftest import HEALTH_HEADERS, stack, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 2
CALLS = 200


def _get(url: str, headers: dict | None = None, timeout: float = 30) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def _server(alias: str) -> psycopg.Connection:
    db = connections[alias].settings_dict
    return psycopg.connect(host=db["HOST"], port=db["PORT"], dbname="postgres", user=db["USER"],
                           autocommit=True)  # fmt: skip


def _sessions(conn: psycopg.Connection) -> int:
    """Client sessions on that server to the test database (the service's, not this probe's)."""
    name = connections[PRIMARY_ALIAS].settings_dict["NAME"]
    query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'"
    return conn.execute(query, (name,)).fetchone()[0]


def test_200_concurrent_calls_open_at_most_one_connection_per_server_and_worker(gunicorn):
    server = gunicorn(GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS="4")
    aliases = [PRIMARY_ALIAS, *replica_aliases(settings.DATABASES)]
    probes = {alias: _server(alias) for alias in aliases}
    try:
        before = {alias: _sessions(conn) for alias, conn in probes.items()}
        start = threading.Barrier(CALLS, timeout=30)

        def call(_):
            start.wait()
            return _get(f"{server.url}/readyz")

        with ThreadPoolExecutor(CALLS) as pool:
            answers = list(pool.map(call, range(CALLS), timeout=120))
        assert answers == [(200, {"status": "ok"})] * CALLS
        opened = {alias: _sessions(conn) - before[alias] for alias, conn in probes.items()}
        assert all(0 < count <= WORKERS for count in opened.values()), opened

        # Later calls reuse those connections; the token still gets the details from a worker.
        for _ in range(20):
            status, body = _get(f"{server.url}/readyz", HEALTH_HEADERS)
            assert status == 200 and set(body["checks"]) >= {"primary", "mongodb", "redis"}
        again = {alias: _sessions(conn) - before[alias] for alias, conn in probes.items()}
        assert all(count <= WORKERS for count in again.values()), again
    finally:
        for conn in probes.values():
            conn.close()


@pytest.mark.stack
@pytest.mark.faults
def test_a_frozen_replica_is_down_within_the_timeout_and_up_again_after_thaw(gunicorn):
    server = gunicorn()
    url = f"{server.url}/readyz"
    assert _get(url) == (200, {"status": "ok"})  # every worker may now hold its connection
    bound = settings.READINESS_TIMEOUT_SECONDS + 2.0  # plus the request's own work, generously
    stack("freeze", "replica2")
    try:
        deadline = time.monotonic() + 15
        degraded = False
        while time.monotonic() < deadline and not degraded:
            begun = time.monotonic()
            status, body = _get(url, HEALTH_HEADERS)
            assert time.monotonic() - begun < bound
            assert status == 200  # a replica is not critical
            degraded = body["down"] == ["replica2"]
        assert degraded, body
        # "no answer within 1s", or the type of the connect timeout of a worker that connects
        # only now: never the text, which names the host.
        assert "127.0.0.1" not in body["checks"]["replica2"]["error"], body
        for _ in range(10):  # the stuck check is not started again; each call still answers in time
            begun = time.monotonic()
            assert _get(url) == (200, {"status": "degraded"})
            assert time.monotonic() - begun < bound
    finally:
        stack("thaw", "replica2")
    assert wait_for(lambda: _get(url) == (200, {"status": "ok"}), timeout=20, interval=0.2)
