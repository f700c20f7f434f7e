"""docker-compose.yml, checked by reading (no Docker engine runs here)."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from catalog_service import environment
from catalog_service.db.capacity import MANAGEMENT_CONNECTIONS

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
    assert "pgbouncer-primary" in web_env["DATABASE_URL"]
    assert "pgbouncer-replica" in web_env["DATABASE_REPLICA_URLS"]
    assert web_env["MONGODB_URL"].startswith("mongodb://mongo:27017")
    assert web_env["REDIS_URL"].startswith("redis://redis:6379")


def test_the_replica_streams_from_the_primary(compose):
    replica = compose["services"]["postgres-replica"]
    assert replica["depends_on"]["postgres-primary"]["condition"] == "service_healthy"
    script = (COMPOSE.parent / "config/postgres/replica-entrypoint.sh").read_text()
    assert "pg_basebackup" in script and " -R " in script


def test_web_and_relay_go_through_pgbouncer_in_transaction_mode_and_migrate_goes_direct(compose):
    services = compose["services"]
    for role in ("primary", "replica"):
        pooler, target = services[f"pgbouncer-{role}"], f"postgres-{role}"
        image, _, tag = pooler["image"].partition(":")
        assert image == "edoburu/pgbouncer" and tag and tag != "latest"  # pinned
        assert pooler["environment"]["POOL_MODE"] == "transaction"
        assert pooler["environment"]["DB_HOST"] == target
        assert "healthcheck" in pooler
    for name in ("web", "relay"):
        env = services[name]["environment"]
        assert env["DATABASE_PGBOUNCER"] == "true"
        assert "@pgbouncer-primary:" in env["DATABASE_URL"]
    migrate = services["migrate"]["environment"]
    assert "@postgres-primary:" in migrate["DATABASE_URL"] and migrate["DATABASE_PGBOUNCER"] == "false"
    assert services["web"]["depends_on"]["pgbouncer-primary"]["condition"] == "service_healthy"


def test_the_poolers_fit_in_max_connections_and_the_replica_allows_what_the_primary_does(compose):
    services = compose["services"]
    primary_max = int(re.search(r"max_connections=(\d+)", services["postgres-primary"]["command"]).group(1))
    replica_max = int(services["postgres-replica"]["environment"]["MAX_CONNECTIONS"])
    assert replica_max == primary_max  # a hot standby refuses to start with fewer
    superuser_reserved = 3  # Postgres's default
    for name in ("pgbouncer-primary", "pgbouncer-replica"):
        env = services[name]["environment"]
        server_sessions = int(env["DEFAULT_POOL_SIZE"]) + int(env["RESERVE_POOL_SIZE"])
        # the pooler's sessions, plus direct clients: migrate, reconcile_documents, psql
        assert server_sessions + MANAGEMENT_CONNECTIONS <= primary_max - superuser_reserved, name


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
def test_compose_validates_against_the_schema():
    result = subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
