"""docker-compose.yml, checked by reading (no Docker engine runs here)."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from catalog_service import environment

COMPOSE = Path(__file__).resolve().parent.parent / "docker-compose.yml"


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load(COMPOSE.read_text())


def test_the_stack_has_every_service_each_with_a_healthcheck(compose):
    services = compose["services"]
    assert {"postgres-primary", "postgres-replica", "mongo", "redis", "web"} <= set(services)
    for name in ("postgres-primary", "postgres-replica", "mongo", "redis", "web"):
        assert "healthcheck" in services[name], name
    assert services["mongo"]["image"] == "mongo:7"
    assert "--replSet" in services["mongo"]["command"]
    assert services["postgres-primary"]["image"] == services["postgres-replica"]["image"] == "postgres:15"


def test_web_is_given_every_variable_the_settings_read(compose):
    web_env = compose["services"]["web"]["environment"]
    assert set(environment.VARIABLES) <= set(web_env)
    assert "postgres-primary" in web_env["DATABASE_URL"]
    assert "postgres-replica" in web_env["DATABASE_REPLICA_URLS"]
    assert web_env["MONGODB_URL"].startswith("mongodb://mongo:27017")
    assert web_env["REDIS_URL"].startswith("redis://redis:6379")


def test_the_replica_streams_from_the_primary(compose):
    replica = compose["services"]["postgres-replica"]
    assert replica["depends_on"]["postgres-primary"]["condition"] == "service_healthy"
    script = (COMPOSE.parent / "config/postgres/replica-entrypoint.sh").read_text()
    assert "pg_basebackup" in script and " -R " in script


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
def test_compose_validates_against_the_schema():
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
