"""/healthz and /readyz in the test process: who sees what, the status rules, the shared result."""

import threading
import time
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from catalog_service import environment
from catalog_service.db.config import replica_aliases
from catalog_service.health.monitor import ReadinessMonitor, readiness
from tests.conftest import HEALTH_HEADERS, HEALTH_TOKEN, stack, wait_for

SERVERS = {"primary", "mongodb", "redis", *replica_aliases(settings.DATABASES)}


def test_healthz_answers_without_io(client):
    # No django_db mark: any database access in the view would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_tells_an_anonymous_client_the_status_only(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ok"}
    assert "Authorization" in response["Vary"]  # the body depends on it
    assert "no-store" in response["Cache-Control"]


WRONG = [f"Bearer {HEALTH_TOKEN}x", f"Bearer {HEALTH_TOKEN[:-1]}", f"Basic {HEALTH_TOKEN}", HEALTH_TOKEN]


@pytest.mark.django_db
@pytest.mark.parametrize("authorization", [*WRONG, "Bearer "])
def test_a_wrong_token_or_scheme_gets_the_status_only(client, authorization):
    response = client.get("/readyz", headers={"Authorization": authorization})
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_without_a_configured_token_no_one_gets_the_details(client, settings):
    settings.HEALTH_TOKEN = ""
    assert client.get("/readyz", headers=HEALTH_HEADERS).json() == {"status": "ok"}
    assert client.get("/readyz", headers={"Authorization": "Bearer "}).json() == {"status": "ok"}


@pytest.mark.django_db
def test_the_token_gets_every_servers_details(client):
    response = client.get("/readyz", headers={"Authorization": f"bearer  {HEALTH_TOKEN} "})
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["down"], body["lagging"]) == ("ok", [], [])
    assert set(body["checks"]) == SERVERS
    for alias in replica_aliases(settings.DATABASES):
        assert body["checks"][alias]["lag_seconds"] >= 0
    assert body["checks"]["mongodb"]["version"]
    assert body["checks"]["redis"]["cache"]["breaker"] == "closed"
    assert 0 <= body["age_ms"] < 1000


def test_health_token_must_be_long_and_without_spaces():
    base = {"DJANGO_SECRET_KEY": "x" * 50}
    assert environment.load(base).health_token == ""
    assert environment.load({**base, "HEALTH_TOKEN": "t" * 32}).health_token == "t" * 32
    for bad in ("short", "t" * 20 + " " + "t" * 20):
        with pytest.raises(ImproperlyConfigured, match="HEALTH_TOKEN"):
            environment.load({**base, "HEALTH_TOKEN": bad})


def _status(client, **headers):
    response = client.get("/readyz", headers=headers)
    return response.status_code, response.json()


@pytest.mark.stack
@pytest.mark.django_db
def test_redis_stopped_is_degraded_and_mongodb_stopped_unavailable_naming_no_host(client, stack_component):
    stack_component("redis")
    # The shared result is at most a second old: poll for the new state.
    assert wait_for(lambda: _status(client) == (200, {"status": "degraded"}), timeout=10)
    response = client.get("/readyz", headers=HEALTH_HEADERS)
    body = response.json()
    assert (response.status_code, body["status"], body["down"]) == (200, "degraded", ["redis"])
    assert body["checks"]["redis"]["status"] == "down"
    assert body["checks"]["primary"]["status"] == "up"
    # The error's type only: its text names the host and port the service failed to reach.
    assert body["checks"]["redis"]["error"].isidentifier(), body["checks"]["redis"]
    for text in ("127.0.0.1", "localhost", f":{urlsplit(settings.CACHES['default']['LOCATION']).port}"):
        assert text not in response.content.decode()

    stack("start", "redis")
    assert wait_for(lambda: _status(client) == (200, {"status": "ok"}), timeout=15)
    stack_component("mongo")
    assert wait_for(lambda: _status(client) == (503, {"status": "unavailable"}), timeout=10)
    status, body = _status(client, **HEALTH_HEADERS)
    assert (status, body["status"], body["down"]) == (503, "unavailable", ["mongodb"])
    assert "127.0.0.1" not in str(body)


@pytest.mark.django_db
def test_concurrent_calls_share_one_run_of_the_checks_per_second():
    runs = []
    gate = threading.Event()

    def slow_check(timeout):
        runs.append(time.monotonic())
        gate.wait(timeout)
        return {}

    monitor = ReadinessMonitor(checks=lambda: {"primary": slow_check, "mongodb": lambda timeout: {}})
    results = []
    threads = [threading.Thread(target=lambda: results.append(monitor.current())) for _ in range(20)]
    for thread in threads:
        thread.start()
    wait_for(lambda: runs, timeout=5)
    gate.set()
    for thread in threads:
        thread.join(10)
    assert len(results) == 20 and len({id(r) for r in results}) == 1  # one result for all
    assert len(runs) == 1
    assert results[0].status == "ok"
    monitor.forget()


@pytest.mark.django_db
def test_a_check_that_never_returns_is_down_within_the_timeout_and_is_not_started_again(settings):
    settings.READINESS_TIMEOUT_SECONDS = 0.3
    frozen = threading.Event()
    started = []

    def frozen_server(timeout):  # as a check on a server that stopped answering mid-call
        started.append(1)
        frozen.wait(30)
        return {}

    monitor = ReadinessMonitor(checks=lambda: {"primary": frozen_server, "redis": lambda timeout: {}})
    try:
        begun = time.monotonic()
        first = monitor.current()
        assert time.monotonic() - begun < 0.3 + 0.5
        assert (first.status, first.down) == ("unavailable", ["primary"])
        # Later results: still down, without a second stuck thread on the same server.
        assert wait_for(lambda: monitor.current() is not first, timeout=5)
        assert monitor.current().down == ["primary"] and started == [1]
        frozen.set()  # the server answers again
        assert wait_for(lambda: monitor.current().status == "ok", timeout=5)
        assert len(started) == 2
    finally:
        frozen.set()
        monitor.forget()


@pytest.mark.django_db
def test_the_process_result_is_reused_and_renewed_after_a_second(client):
    first = readiness.current()
    assert readiness.current() is first or time.monotonic() - first.started >= 1
    assert wait_for(lambda: readiness.current() is not first, timeout=5)


@pytest.mark.django_db(transaction=True)
def test_readyz_under_asgi_tells_the_same(asgi_client):
    anonymous = asgi_client.get("/readyz")
    assert (anonymous.status_code, anonymous.json()) == (200, {"status": "ok"})
    detailed = asgi_client.get("/readyz", headers=HEALTH_HEADERS).json()
    assert detailed["status"] == "ok" and set(detailed["checks"]) == SERVERS
