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


def _sessions(conn: psycopg.Connection) -> set[tuple]:
    """Client sessions on that server to the test database (the service's, not this probe's)."""
    name = connections[PRIMARY_ALIAS].settings_dict["NAME"]
    query = """SELECT pid, backend_start FROM pg_stat_activity
               WHERE datname = %s AND backend_type = 'client backend' AND pid <> pg_backend_pid()"""
    return set(conn.execute(query, (name,)).fetchall())


class SessionWatch:
    """Every session seen on each server while the block runs, sampled continuously: a
    connection opened and closed within one request is seen too, most of the time."""

    def __init__(self, aliases: list[str]) -> None:
        self.probes = {alias: _server(alias) for alias in aliases}
        self.before = {alias: _sessions(conn) for alias, conn in self.probes.items()}
        self.seen = {alias: set() for alias in aliases}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        deadline = time.monotonic() + 180
        while not self._stop.is_set() and time.monotonic() < deadline:
            for alias, conn in self.probes.items():
                self.seen[alias] |= _sessions(conn)

    def __enter__(self) -> "SessionWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)
        for alias, conn in self.probes.items():
            self.seen[alias] |= _sessions(conn)
            conn.close()

    def opened(self) -> dict[str, int]:
        """New sessions per server: seen during the block, not there before it."""
        return {alias: len(self.seen[alias] - self.before[alias]) for alias in self.probes}


def test_200_concurrent_calls_open_at_most_one_connection_per_server_and_worker(gunicorn):
    server = gunicorn(GUNICORN_WORKER_CLASS="gthread", GUNICORN_THREADS="4")
    aliases = [PRIMARY_ALIAS, *replica_aliases(settings.DATABASES)]
    start = threading.Barrier(CALLS, timeout=30)

    def call(_):
        start.wait()
        return _get(f"{server.url}/readyz")

    with SessionWatch(aliases) as watch, ThreadPoolExecutor(CALLS) as pool:
        answers = list(pool.map(call, range(CALLS), timeout=120))
        burst_ended = time.monotonic()

        def checked_since_the_burst():  # a later run of the checks, over the same connections
            status, body = _get(f"{server.url}/readyz", HEALTH_HEADERS)
            return body["age_ms"] < (time.monotonic() - burst_ended) * 1000 and (status, body)

        status, body = wait_for(checked_since_the_burst, timeout=10, interval=0.2)
    assert answers == [(200, {"status": "ok"})] * CALLS
    assert status == 200 and set(body["checks"]) == {"primary", *aliases[1:], "mongodb", "redis"}, body
    opened = watch.opened()
    assert all(0 < count <= WORKERS for count in opened.values()), opened


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
