"""JSON log lines, and the state changes of failover, the cache's circuit breaker and the relay."""

import json
import logging
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connections
from django.http import HttpResponse
from django.test import RequestFactory

from catalog_service.caching.breaker import redis_breaker
from catalog_service.db.health import replica_health
from catalog_service.documents.models import OutboxRecord
from catalog_service.observability.logs import JsonFormatter
from catalog_service.observability.request_id import RequestIdMiddleware
from tests.factories import make_products

ROOT = Path(__file__).resolve().parents[3]


def test_a_line_is_one_json_object_with_time_level_logger_message_and_request_id():
    record = logging.LogRecord("catalog.x", logging.WARNING, __file__, 1, 'say "%s"', ("hi\nthere",), None)
    record.request_id = "r-1"
    record.alias = "replica1"
    line = JsonFormatter().format(record)
    assert "\n" not in line
    parsed = json.loads(line)
    assert list(parsed)[:5] == ["time", "level", "logger", "message", "request_id"]
    assert parsed["message"] == 'say "hi\nthere"'
    assert (parsed["level"], parsed["logger"], parsed["request_id"], parsed["alias"]) == (
        "WARNING", "catalog.x", "r-1", "replica1"
    )  # fmt: skip
    assert parsed["time"].endswith("+00:00")


def test_an_exception_is_kept_in_the_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    parsed = json.loads(JsonFormatter().format(record))
    assert "ValueError: boom" in parsed["exc_info"]


def test_the_breaker_logs_each_change_of_state_once_with_the_request_id(json_log_lines, settings):
    settings.CACHE_BREAKER_SECONDS = 0  # let every call through, so that it can close again

    def view(request):
        for _ in range(settings.CACHE_BREAKER_FAILURES + 3):
            redis_breaker.failure(ConnectionError("refused"))
        return HttpResponse()

    RequestIdMiddleware(view)(RequestFactory().get("/", headers={"X-Request-ID": "breaker-req"}))
    for _ in range(3):
        redis_breaker.success()
    events = [(line["event"], line["request_id"]) for line in json_log_lines("catalog_service.caching")]
    assert events == [("circuit_opened", "breaker-req"), ("circuit_closed", None)]
    opened = json_log_lines("catalog_service.caching")[0]
    assert (opened["level"], opened["circuit"], opened["error"]) == (
        "WARNING",
        "redis",
        "ConnectionError: refused",
    )


@pytest.mark.django_db
def test_failover_logs_each_change_of_state_once(json_log_lines):
    for _ in range(3):
        replica_health.mark_down("replica1", "connection refused")
    for _ in range(3):
        replica_health.mark_up("replica1")
    lines = json_log_lines("catalog_service.db.routing")
    assert [(line["event"], line["database"], line["state"], line["level"]) for line in lines] == [
        ("database_state", "replica1", "down", "WARNING"),
        ("database_state", "replica1", "up", "INFO"),
    ]


@pytest.mark.django_db(transaction=True)
def test_the_relay_logs_failing_writes_as_json(products_collection):
    make_products(1)
    OutboxRecord.objects.update(applied_at=None)  # pending again: the relay must write it
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    db = connections["default"].settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DATABASE_REPLICA_URLS": "",
        "MONGODB_URL": f"mongodb://127.0.0.1:{closed_port}/?directConnection=true",
        "MONGODB_DATABASE": settings.MONGODB["NAME"],
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "relay_outbox", "--once"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    relay = [line for line in lines if line.get("event", "").startswith("relay_")]
    assert [(line["event"], line["level"], line["failed"]) for line in relay] == [
        ("relay_failing", "WARNING", 1)
    ]
    assert "applied 0, failed 1" in result.stdout
