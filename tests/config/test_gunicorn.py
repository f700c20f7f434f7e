"""config/gunicorn.conf.py: its settings from the environment, and a real preloaded server
writing JSON access lines with the request id."""

import http.client
import json
import os
import pty
import runpy
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

from tests.conftest import wait_for

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "gunicorn.conf.py"
GUNICORN_VARIABLES = [
    "WEB_CONCURRENCY", "GUNICORN_WORKER_CLASS", "GUNICORN_THREADS", "GUNICORN_REUSE_PORT", "GUNICORN_PRELOAD",
    "GUNICORN_TIMEOUT", "GUNICORN_GRACEFUL_TIMEOUT", "GUNICORN_MAX_REQUESTS", "GUNICORN_ACCESS_LOG",
    "GUNICORN_FORWARDED_ALLOW_IPS", "GUNICORN_FORWARDER_HEADERS",
]  # fmt: skip


@pytest.fixture
def load_config(monkeypatch):
    """Return a function that evaluates the config file with these variables (and no others of its own)."""
    for name in GUNICORN_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    def load(**variables):
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(CONFIG))

    return load


def test_defaults_sync_workers_from_the_cpus_with_timeouts_and_recycling(load_config):
    config = load_config()
    cpus = len(os.sched_getaffinity(0))
    assert (config["worker_class"], config["threads"], config["workers"]) == ("gthread", 4, 2 * cpus + 1)
    assert (config["timeout"], config["graceful_timeout"]) == (30, 30)
    assert (config["max_requests"], config["max_requests_jitter"]) == (5000, 500)
    assert (config["reuse_port"], config["preload_app"]) == (False, False)
    assert config["logger_class"] == "catalog_service.observability.gunicorn_logger.JsonLogger"
    assert callable(config["pre_fork"])
    # Set explicitly: no peer, loopback included, may set SCRIPT_NAME, PATH_INFO or the scheme.
    assert (config["forwarded_allow_ips"], config["forwarder_headers"]) == ("", "")


def test_worker_class_threads_and_reuse_port_come_from_the_environment(load_config):
    config = load_config(GUNICORN_WORKER_CLASS="gthread", WEB_CONCURRENCY="3", GUNICORN_REUSE_PORT="true")
    assert (config["worker_class"], config["threads"], config["workers"], config["reuse_port"]) == (
        "gthread", 4, 3, True
    )  # fmt: skip
    assert load_config(GUNICORN_THREADS="8")["threads"] == 8


@pytest.mark.parametrize(
    ("name", "value"),
    [("GUNICORN_WORKER_CLASS", "eventlet"), ("WEB_CONCURRENCY", "0"), ("GUNICORN_TIMEOUT", "x")],
)
def test_a_bad_value_stops_start_up_naming_it(load_config, name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        load_config(**{name: value})


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _url_of(alias: str) -> str:
    db = connections[alias].settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def preloaded_server(db, tmp_path):
    """gunicorn with this config, --preload and two workers on a free loopback port, serving the
    test databases; yields (base URL, access log path, error log path, master's Postgres pid file)."""
    port = _free_port()
    replicas = [alias for alias in connections if alias.startswith("replica")]
    env = {
        **os.environ,
        "DATABASE_URL": _url_of("default"),
        "DATABASE_REPLICA_URLS": ",".join(_url_of(alias) for alias in replicas),
        "MONGODB_DATABASE": settings.MONGODB["NAME"],
        "WEB_CONCURRENCY": "2",
        "PRELOAD_PID_FILE": str(tmp_path / "master-pg-pid"),
        "PYTHONUNBUFFERED": "1",
    }
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    with access.open("w") as out, errors.open("w") as err:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "--preload", "--bind", f"127.0.0.1:{port}",
             "tests.config.preload_app:application"],
            cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def answers():
        assert server.poll() is None, errors.read_text()
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    try:
        wait_for(answers, timeout=60, interval=0.1)
        yield base, access, errors, tmp_path / "master-pg-pid"
    finally:
        server.send_signal(signal.SIGTERM)  # graceful: in-flight requests finish first
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _access_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_a_preloaded_server_logs_json_access_lines_with_the_request_id(preloaded_server):
    base, access, errors, _ = preloaded_server
    request = urllib.request.Request(
        f"{base}/api/v1/categories/?depth=all", headers={"X-Request-ID": "gunicorn-1"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert response.headers["X-Request-ID"] == "gunicorn-1"

    def logged():
        return [line for line in _access_lines(access) if line.get("request_id") == "gunicorn-1"]

    (line,) = wait_for(logged, timeout=10)
    assert line["logger"] == "gunicorn.access"
    assert (line["method"], line["path"], line["query"], line["status"]) == (
        "GET", "/api/v1/categories/", "depth=all", 200
    )  # fmt: skip
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["remote_addr"] == "127.0.0.1"
    assert line["time"] and line["level"] == "INFO"
    # Everything else the processes wrote (gunicorn's own messages, Django's) is JSON too.
    assert all(json.loads(text)["time"] for text in errors.read_text().splitlines() if text.strip())


@pytest.mark.django_db(transaction=True)  # the server's workers see the committed category
def test_no_client_can_move_the_links_under_a_script_name_prefix(preloaded_server):
    """gunicorn's default let a loopback client set SCRIPT_NAME by header; its prefix went into
    every link of the response (and, cached, into other clients' responses)."""
    from tests.factories import CategoryFactory

    CategoryFactory(slug="linked")
    base, _, _, _ = preloaded_server
    connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=10)
    connection.request("GET", "/api/v1/categories/", headers={"SCRIPT_NAME": "/evil"})
    response = connection.getresponse()
    body = response.read().decode()
    assert response.status == 200
    assert "/api/v1/categories/linked/" in body and "/evil" not in body


def test_the_master_closes_what_the_preloaded_application_opened_before_forking(preloaded_server):
    base, _, _, pid_file = preloaded_server
    master_session = int(pid_file.read_text())
    db = connections["default"].settings_dict
    with psycopg.connect(
        host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None,
        autocommit=True,
    ) as observer:  # fmt: skip

        def master_session_gone():
            query = "SELECT count(*) FROM pg_stat_activity WHERE pid = %s"
            return observer.execute(query, [master_session]).fetchone()[0] == 0

        wait_for(master_session_gone, timeout=10)
    # The workers open sessions of their own, and serve from them.
    for _ in range(4):
        with urllib.request.urlopen(f"{base}/api/v1/categories/", timeout=10) as response:
            assert response.status == 200


def test_on_a_terminal_the_server_logs_text_and_says_once_what_runs(db, tmp_path):
    """``make run`` in a terminal: readable lines (LOG_FORMAT=auto), the ready line once from
    the master, no library start-up line once per worker."""
    port = _free_port()
    env = {
        **os.environ, "DATABASE_URL": _url_of("default"), "WEB_CONCURRENCY": "2", "LOG_FORMAT": "auto",
        "MONGODB_DATABASE": settings.MONGODB["NAME"], "PYTHONUNBUFFERED": "1",
    }  # fmt: skip
    primary, replica = pty.openpty()  # the server's stdout and stderr are a terminal
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "--bind", f"127.0.0.1:{port}",
         "catalog_service.wsgi"],
        cwd=ROOT, env=env, stdout=replica, stderr=replica, start_new_session=True,
    )  # fmt: skip
    os.close(replica)
    output = b""
    try:

        def served() -> bool:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    return response.status == 200
            except OSError:
                return False

        wait_for(served, timeout=60, interval=0.2)
        # Both workers have booted once two "Booting worker" lines are out and both answered.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            output.count(b"Booting worker") < 2 or b"GET /healthz" not in output
        ):
            ready, _, _ = select.select([primary], [], [], 0.2)
            if ready:
                output += os.read(primary, 65536)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=40)
        os.close(primary)
    lines = output.decode(errors="replace").splitlines()
    assert lines and not any(line.startswith("{") for line in lines)  # text, not JSON
    assert sum("catalog service ready on" in line for line in lines) == 1
    assert not any("AXES: BEGIN" in line for line in lines)
    assert any("gunicorn.access" in line and "GET /healthz 200" in line for line in lines)
