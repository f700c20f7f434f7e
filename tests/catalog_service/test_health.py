import pytest
from django.conf import settings

from catalog_service.db.config import replica_aliases
from tests.conftest import wait_for


def test_healthz_answers_without_io(client):
    # No django_db mark: any database access in the view would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_reports_every_server_up(client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["down"] == []
    expected = {"primary", "mongodb", "redis", *replica_aliases(settings.DATABASES)}
    assert set(body["checks"]) == expected
    for alias in replica_aliases(settings.DATABASES):
        assert body["checks"][alias]["lag_seconds"] >= 0
    assert body["checks"]["mongodb"]["version"]


@pytest.mark.stack
@pytest.mark.django_db
def test_readyz_reports_redis_stopped_as_degraded_and_mongodb_stopped_as_unavailable(client, stack_component):
    stack_component("redis")
    response = client.get("/readyz")
    assert response.status_code == 200  # listings still answer from the databases
    body = response.json()
    assert (body["status"], body["down"]) == ("degraded", ["redis"])
    assert body["checks"]["redis"]["status"] == "down"
    assert body["checks"]["primary"]["status"] == "up"

    from tests.conftest import stack

    stack("start", "redis")
    assert wait_for(lambda: client.get("/readyz").json()["status"] == "ok")
    stack_component("mongo")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert (response.json()["status"], response.json()["down"]) == ("unavailable", ["mongodb"])
