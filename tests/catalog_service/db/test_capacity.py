"""The connection budget: gunicorn's workers against each server's max_connections."""

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from catalog_service.db import capacity
from catalog_service.db.capacity import WebPlan, connections_needed, gunicorn_plan

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_arithmetic_per_server():
    # sync workers: Django's connection and readyz's; on a replica the lag sampler's too
    margin = capacity.MANAGEMENT_CONNECTIONS
    assert connections_needed(WebPlan(workers=5), replica=False) == 5 * 2 + margin + capacity.RELAY_PROCESSES
    assert connections_needed(WebPlan(workers=5), replica=True) == 5 * 3 + margin
    assert connections_needed(WebPlan(workers=3, threads=8), replica=True) == 3 * 10 + 5  # gthread


def test_the_plan_is_what_gunicorns_config_sets(monkeypatch):
    monkeypatch.setenv("WEB_CONCURRENCY", "7")
    assert gunicorn_plan().workers == 7


def usable(alias):
    """max_connections minus the reserved ones, as the server reports them."""
    from django.db import connections

    with connections[alias].cursor() as cursor:
        cursor.execute("SHOW max_connections")
        max_connections = int(cursor.fetchone()[0])
        cursor.execute("SHOW superuser_reserved_connections")
        return max_connections - int(cursor.fetchone()[0])


def check(*aliases):
    args = [arg for alias in aliases for arg in ("--database", alias)]
    call_command("check", *args, stdout=None)


def test_the_check_passes_for_the_configured_workers_and_fails_past_max_connections(monkeypatch, settings):
    monkeypatch.setenv("GUNICORN_WORKER_CLASS", "sync")  # one thread: 2 connections per worker below
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    check("default", "replica1")  # no error

    # Just enough workers that the primary's share no longer fits.
    workers = (usable("default") - capacity.MANAGEMENT_CONNECTIONS - capacity.RELAY_PROCESSES) // 2 + 1
    monkeypatch.setenv("WEB_CONCURRENCY", str(workers))
    with pytest.raises(SystemCheckError, match=r"catalog_service.E004.*'default' may need"):
        check("default")
    monkeypatch.setenv("WEB_CONCURRENCY", str(workers - 1))
    check("default")
    # A replica needs one more per worker (the lag sampler): the same count does not fit there.
    with pytest.raises(SystemCheckError, match=r"'replica1' may need"):
        check("replica1")

    settings.DATABASES["replica1"] = {**settings.DATABASES["replica1"], "PGBOUNCER": True}
    check("replica1")  # behind PgBouncer the pooler bounds the server's sessions
