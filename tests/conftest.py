"""Test harness: the real stack (Postgres primary and streaming replicas, Redis, MongoDB).

The session starts ``bin/stack`` when the environment names no stack (no DATABASE_URL).
The test database is created on the primary only; the replicas receive it through streaming
replication, and their aliases are pointed at it, so reads in tests hit real replicas.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
STACK = ROOT / "bin" / "stack"
# /readyz's detailed body in the test process and the servers tests start (they inherit it).
HEALTH_TOKEN = "test-health-token-" + "0" * 32
HEALTH_HEADERS = {"Authorization": f"Bearer {HEALTH_TOKEN}"}


def pytest_configure(config: pytest.Config) -> None:
    if not os.environ.get("DATABASE_URL"):
        subprocess.run([str(STACK), "up"], check=True, stdout=subprocess.DEVNULL)
    _replicas_are_never_flushed()
    _replicas_are_allowed_with_the_primary()
    from django.conf import settings

    # Tests fail on any read that reaches the primary during a safe, unpinned request.
    settings.DATABASE_PRIMARY_READ_GUARD = "raise"
    # Cache keys of their own, so tests never read the development server's entries.
    settings.CACHES["default"]["KEY_PREFIX"] = f"test-{settings.CACHES['default']['KEY_PREFIX']}"
    _plain_http_and_unthrottled(settings)
    os.environ["HEALTH_TOKEN"] = settings.HEALTH_TOKEN = HEALTH_TOKEN


def _plain_http_and_unthrottled(settings) -> None:
    """Tests speak plain HTTP from one address, many times over: no HTTPS redirect and no API
    throttle, in this process and in the servers tests start (they inherit the environment).
    The tests of either turn it back on for themselves."""
    os.environ["DJANGO_HTTPS"] = "false"
    os.environ["API_THROTTLE_RATE"] = ""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.API_THROTTLE_RATE = None


def _replicas_are_never_flushed() -> None:
    """Leave replica aliases out of test data management, as Django does for mirrors.

    A replica is read-only: a flush or sequence reset there fails, and it receives the
    primary's own flush through replication. Queries still go to the real replica.
    """
    from django.test import TransactionTestCase

    from catalog_service.db.config import REPLICA_ALIAS_PREFIX

    databases_names = TransactionTestCase._databases_names.__func__

    def _databases_names(cls, include_mirrors=True):
        names = databases_names(cls, include_mirrors=include_mirrors)
        if include_mirrors:
            return names
        return [alias for alias in names if not alias.startswith(REPLICA_ALIAS_PREFIX)]

    TransactionTestCase._databases_names = classmethod(_databases_names)


def _replicas_are_allowed_with_the_primary() -> None:
    """A test allowed to use the primary may read from its replicas (where the router sends reads)."""
    from django.test import TransactionTestCase

    from catalog_service.db.config import PRIMARY_ALIAS, REPLICA_ALIAS_PREFIX

    validate = TransactionTestCase._validate_databases.__func__

    def _validate_databases(cls):
        from django.db import connections

        names = validate(cls)
        if PRIMARY_ALIAS in names:
            names = frozenset(names) | {a for a in connections if a.startswith(REPLICA_ALIAS_PREFIX)}
        return names

    TransactionTestCase._validate_databases = classmethod(_validate_databases)


def wait_for(condition: Callable[[], object], timeout: float = 15.0, interval: float = 0.05) -> object:
    """Poll ``condition`` until it returns a truthy value, which is returned; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {condition}")
        time.sleep(interval)


def _replica_has_schema(alias: str) -> bool:
    from django.db import connections
    from django.db.utils import OperationalError

    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT to_regclass('catalog_product') IS NOT NULL")
            return cursor.fetchone()[0]
    except OperationalError:  # the test database has not reached this replica yet
        connections[alias].close()
        return False


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb):
    from django.conf import settings
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    from catalog_service.db.config import replica_aliases
    from catalog_service.documents.client import get_client

    mongo_name = f"test_{settings.MONGODB['NAME']}"
    settings.MONGODB["NAME"] = mongo_name
    get_client().drop_database(mongo_name)

    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=django_db_keepdb,
            aliases={"default"},
        )
        test_name = connections["default"].settings_dict["NAME"]
        for alias in replica_aliases(settings.DATABASES):
            connections[alias].close()
            connections[alias].settings_dict["NAME"] = test_name
            wait_for(lambda alias=alias: _replica_has_schema(alias), timeout=60)
    yield
    with django_db_blocker.unblock():
        for alias in replica_aliases(settings.DATABASES):
            connections[alias].close()
        teardown_databases(db_cfg, verbosity=request.config.option.verbose)
    get_client().drop_database(mongo_name)


def stack(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run ``bin/stack`` with ``args``; return the finished process."""
    return subprocess.run([str(STACK), *args], check=check, capture_output=True, text=True, timeout=180)


@pytest.fixture
def stack_component() -> Iterator[Callable[[str], None]]:
    """Stop components for a test (``stop(name)``); every stopped one is started again after it."""
    if os.environ.get("DATABASE_URL") and not (ROOT / "var" / "pg" / "primary").exists():
        pytest.skip("the environment names a stack that bin/stack does not manage")
    stopped: list[str] = []

    def stop(name: str) -> None:
        stack("stop", name)
        stopped.append(name)

    yield stop
    for name in reversed(stopped):
        stack("start", name)
    if stopped:
        from django.db import connections

        connections.close_all()  # sessions to the stopped servers died; the next test opens new ones


@pytest.fixture
def products_collection(transactional_db):
    """The products collection, emptied around the test (rows are flushed by Django)."""
    from pymongo.errors import AutoReconnect

    from catalog.models import Product
    from catalog_service.documents.client import get_collection

    collection = get_collection(Product)
    collection.delete_many({})
    yield collection
    try:
        collection.delete_many({})
    except AutoReconnect:  # a socket from before a test restarted MongoDB; a new one works
        collection.delete_many({})


@pytest.fixture
def mongo_commands():
    """Record the MongoDB commands sent inside ``with mongo_commands() as commands:``."""
    from catalog_service.documents.monitoring import recorder

    return recorder.record


def finds(commands: list[dict]) -> list[dict]:
    """Return the ``find`` commands among recorded ones."""
    return [c for c in commands if c["name"] == "find"]


@pytest.fixture(autouse=True)
def fresh_routing_state():
    """Each test starts as a new unit of work, with every replica in rotation and an empty cache."""
    from catalog_service.caching import generations
    from catalog_service.caching.breaker import redis_breaker
    from catalog_service.caching.near import near_cache
    from catalog_service.db import state
    from catalog_service.db.health import replica_health
    from catalog_service.health.monitor import readiness

    def forget():
        state.reset()
        replica_health.forget()
        readiness.forget()
        redis_breaker.reset()
        generations.forget_pending()
        try:
            from django.core.cache import cache
            from django_redis import get_redis_connection

            cache.delete_pattern("*")
            near_cache.forget()  # its invalidations for the deleted keys may still be on the way
            redis = get_redis_connection("default")
            keys = redis.keys("*:db:down:*")
            if keys:
                redis.delete(*keys)
        except Exception:  # Redis stopped by a test: nothing shared to forget
            pass

    forget()
    yield
    forget()


def _replica_conninfo(alias: str) -> str:
    from django.db import connections

    db = connections[alias].settings_dict
    return (
        f"host={db['HOST']} port={db['PORT'] or 5432} dbname={db['NAME']} user={db['USER']} "
        "connect_timeout=2 application_name=catalog-tests"
    )


def wait_for_replicas(timeout: float = 15.0) -> None:
    """Wait until every running replica has replayed what the primary has written so far.

    Replicas whose replay is paused or that are stopped are not waited for. Uses connections
    of its own, so query counts of the code under test are not disturbed.
    """
    import psycopg
    from django.conf import settings

    from catalog_service.db.config import PRIMARY_ALIAS, replica_aliases

    with psycopg.connect(_replica_conninfo(PRIMARY_ALIAS), autocommit=True) as primary:
        lsn = primary.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    for alias in replica_aliases(settings.DATABASES):
        try:
            with psycopg.connect(_replica_conninfo(alias), autocommit=True) as replica:

                def caught_up(replica=replica):
                    paused, done = replica.execute(
                        "SELECT pg_is_wal_replay_paused(), pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]
                    ).fetchone()
                    return paused or done

                wait_for(caught_up, timeout=timeout, interval=0.01)
        except psycopg.OperationalError:  # stopped by the test
            continue


@pytest.fixture(scope="session")
def event_loop_thread(django_db_setup):
    """One event loop for the session's ASGI requests (see ``tests.asgi``); closed, with its
    connections, before the test databases are dropped."""
    from tests.asgi import EventLoopThread

    loop = EventLoopThread()
    yield loop
    loop.close()


@pytest.fixture
def asgi_client(event_loop_thread):
    """``client``, answered by the ASGI handler (the async views), replicas caught up first."""
    from tests.asgi import AsgiClient

    return AsgiClient(event_loop_thread, before_request=wait_for_replicas)


@pytest.fixture
def client():
    """Django's test client, which lets the replicas catch up before each request.

    A real client that wrote is pinned to the primary; data a test writes through the ORM
    reaches the replicas asynchronously, like another client's writes would.
    """
    return ReplicatedClient()


class ReplicatedClient(Client):
    def request(self, **request):
        wait_for_replicas()
        return super().request(**request)


class _Capture:
    """CaptureQueriesContext that tolerates a server that is down (failover tests stop them)."""

    def __init__(self, connection):
        self.connection = connection

    def __enter__(self):
        self.force_debug_cursor = self.connection.force_debug_cursor
        self.connection.force_debug_cursor = True
        # Counted from an empty log: a request clears it when it starts (Django's reset_queries
        # on request_started), so a count taken before would skip that many of its queries.
        self.connection.queries_log.clear()
        self.initial_queries = 0
        return self

    def __exit__(self, *exc):
        self.connection.force_debug_cursor = self.force_debug_cursor
        self.captured_queries = list(self.connection.queries_log)[self.initial_queries :]


@contextlib.contextmanager
def queries_by_alias():
    """Capture the SQL sent to each alias inside the block: ``{alias: [sql, ...]}``, through
    Django's connections (WSGI path) and the asyncio pools (ASGI path) alike."""
    from django.db import connections

    from catalog_service.db import aio

    contexts = {alias: _Capture(connections[alias]) for alias in connections}
    with contextlib.ExitStack() as stack:
        for context in contexts.values():
            stack.enter_context(context)
        async_statements = stack.enter_context(aio.statements.record())
        result: dict[str, list[str]] = {}
        yield result
    for alias, context in contexts.items():
        if context.captured_queries:
            result[alias] = [q["sql"] for q in context.captured_queries]
    for alias, sql in async_statements:
        result.setdefault(alias, []).append(sql)


def free_port() -> int:
    """Return a loopback port that nothing listens on (for a server a test starts)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_env(**overrides: str) -> dict[str, str]:
    """Return the environment of a service process (gunicorn, ``manage.py``) that uses the test
    databases, MongoDB database and cache prefix, with ``overrides`` on top."""
    from django.conf import settings
    from django.db import connections

    from catalog_service.db.config import replica_aliases

    def url(alias):
        db = connections[alias].settings_dict
        return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"

    assert connections["default"].settings_dict["NAME"].startswith("test_")
    return {
        **os.environ,
        "DATABASE_URL": url("default"),
        "DATABASE_REPLICA_URLS": ",".join(url(a) for a in replica_aliases(settings.DATABASES)),
        "MONGODB_DATABASE": settings.MONGODB["NAME"],
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "false",
        **overrides,
    }


@dataclass
class Gunicorn:
    url: str
    process: subprocess.Popen

    def workers(self) -> set[int]:
        """Return the pids of the master's worker processes."""
        pid = self.process.pid
        return {int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()}


@pytest.fixture
def gunicorn() -> Iterator[Callable[..., Gunicorn]]:
    """Start gunicorn (``config/gunicorn.conf.py``, two workers) on the test databases, as
    production runs it: ``gunicorn(**env_overrides)``; every one started is stopped after the test."""
    started: list[subprocess.Popen] = []

    def start(**overrides: str) -> Gunicorn:
        port = free_port()
        env = service_env(GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY="2", **overrides)
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "catalog_service.wsgi"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        started.append(process)
        server = Gunicorn(f"http://127.0.0.1:{port}", process)

        def up():
            assert process.poll() is None, "gunicorn exited"
            try:
                with urllib.request.urlopen(f"{server.url}/healthz", timeout=1) as response:
                    return response.status == 200 and len(server.workers()) == 2
            except OSError:
                return False

        wait_for(up, timeout=30, interval=0.1)
        return server

    yield start
    for process in started:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
