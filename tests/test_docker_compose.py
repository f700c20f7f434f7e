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
    assert "--replSet rs0" in " ".join(services["mongo"]["entrypoint"])
    assert services["postgres-primary"]["image"] == services["postgres-replica"]["image"] == "postgres:15"


def test_web_is_given_every_variable_the_settings_read(compose):
    web_env = compose["services"]["web"]["environment"]
    assert set(environment.VARIABLES) <= set(web_env)
    assert "pgbouncer-primary" in web_env["DATABASE_URL"]
    assert "pgbouncer-replica" in web_env["DATABASE_REPLICA_URLS"]
    assert web_env["MONGODB_URL"].startswith("mongodb://catalog:${MONGO_PASSWORD:?")
    assert "@mongo:27017/" in web_env["MONGODB_URL"]
    assert web_env["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD:?")
    assert web_env["REDIS_URL"].endswith("@redis:6379/0")


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


SECRETS = (
    "DJANGO_SECRET_KEY",
    "POSTGRES_PASSWORD",
    "REPLICATION_PASSWORD",
    "REDIS_PASSWORD",
    "MONGO_PASSWORD",
)


def test_no_secret_has_a_default():
    text = COMPOSE.read_text()
    for name in SECRETS:
        uses = re.findall(r"\$\{" + name + r"(?![A-Z_])([^}]*)\}", text)
        assert uses, name
        assert all(use.startswith(":?") for use in uses), (name, uses)  # required, never defaulted
    assert "change-me" not in text


def test_redis_has_a_password_and_a_memory_cap_that_never_evicts_generations(compose):
    redis = compose["services"]["redis"]
    command = " ".join(redis["command"])
    assert '--requirepass "$$REDIS_PASSWORD"' in command
    assert "--maxmemory " in command
    # volatile-*: only keys with an expiry are evicted; generation keys have none.
    assert re.search(r"--maxmemory-policy volatile-(lru|lfu|ttl|random)\b", command)


def test_mongodb_runs_with_authentication(compose):
    mongo = compose["services"]["mongo"]
    assert mongo["environment"]["MONGO_INITDB_ROOT_PASSWORD"].startswith("${MONGO_PASSWORD:?")
    assert "--keyFile" in " ".join(mongo["entrypoint"])  # a replica set with auth needs one
    assert '-p "$$MONGO_INITDB_ROOT_PASSWORD"' in " ".join(mongo["healthcheck"]["test"])


def _config(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["docker-compose", "-f", str(COMPOSE), "config", "-q"],
        capture_output=True, text=True, env={"PATH": "/usr/bin:/bin", **env}, timeout=60,
    )  # fmt: skip


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
def test_compose_validates_against_the_schema_and_needs_every_secret():
    secrets = {name: f"test-{name.lower()}" for name in SECRETS}
    result = _config(secrets)
    assert result.returncode == 0, result.stderr
    for name in SECRETS:
        missing = _config({k: v for k, v in secrets.items() if k != name})
        assert missing.returncode != 0, name
        assert name in missing.stderr, missing.stderr
