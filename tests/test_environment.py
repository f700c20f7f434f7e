import pytest
from django.core.exceptions import ImproperlyConfigured

from catalog_service import environment
from catalog_service.db.config import build_databases

BASE = {"DJANGO_SECRET_KEY": "x" * 50}


def test_defaults_point_at_the_local_stack():
    env = environment.load(BASE)
    assert env.debug is False
    assert env.database["HOST"] == "127.0.0.1"
    assert env.database["PORT"] == 55432
    assert [r["PORT"] for r in env.replicas] == [55433]
    assert env.mongodb_url.startswith("mongodb://127.0.0.1:57017")
    assert env.redis_url == "redis://127.0.0.1:56379/0"


def test_any_number_of_replicas_and_none():
    urls = ",".join(f"postgres://u@db{i}:5432/catalog" for i in range(3))
    env = environment.load({**BASE, "DATABASE_REPLICA_URLS": urls})
    databases = build_databases(env.database, env.replicas)
    assert list(databases) == ["default", "replica1", "replica2", "replica3"]
    assert databases["replica3"]["HOST"] == "db2"
    assert environment.load({**BASE, "DATABASE_REPLICA_URLS": ""}).replicas == []


def test_routing_settings_and_extra_databases():
    env = environment.load(BASE)
    assert (env.pinning_seconds, env.max_replica_lag_seconds, env.replica_cooldown_seconds) == (15, 10, 30)
    assert env.primary_read_guard == "off"
    assert environment.load({"DJANGO_DEBUG": "true"}).primary_read_guard == "warn"
    env = environment.load({
        **BASE, "PINNING_SECONDS": "2.5", "DATABASE_ROUTES": "sessions=sessions_db, catalog.Product=default",
        "DATABASE_EXTRA_URLS": "sessions_db=postgres://u@h:5433/sessions",
    })  # fmt: skip
    assert env.pinning_seconds == 2.5
    assert env.database_routes == {"sessions": "sessions_db", "catalog.Product": "default"}
    databases = build_databases(env.database, env.replicas, env.extra_databases)
    assert databases["sessions_db"]["NAME"] == "sessions"
    assert databases["sessions_db"]["ENGINE"] == "catalog_service.db.backends.postgresql"


def test_connections_are_persistent_with_health_checks_and_a_connect_timeout():
    databases = build_databases(environment.load(BASE).database, [])
    assert databases["default"]["CONN_MAX_AGE"] > 0
    assert databases["default"]["CONN_HEALTH_CHECKS"] is True
    assert databases["default"]["OPTIONS"]["connect_timeout"] <= 2


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DJANGO_DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://u@h/db"),
        ("DATABASE_URL", "postgres://u@h:notaport/db"),
        ("DATABASE_URL", "postgres://"),
        ("DATABASE_REPLICA_URLS", "postgres://u@h/db,nonsense"),
        ("MONGODB_URL", "http://mongo"),
        ("MONGODB_DATABASE", "bad/name"),
        ("REDIS_URL", "localhost:6379"),
        ("DJANGO_ALLOWED_HOSTS", " , "),
        ("PINNING_SECONDS", "soon"),
        ("MAX_REPLICA_LAG_SECONDS", "-1"),
        ("REPLICA_COOLDOWN_SECONDS", "inf"),
        ("DATABASE_PRIMARY_READ_GUARD", "loud"),
        ("DATABASE_ROUTES", "sessions"),
        ("DATABASE_EXTRA_URLS", "sessions=mysql://u@h/db"),
    ],
)
def test_a_malformed_value_names_its_variable(name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        environment.load({**BASE, name: value})


def test_the_secret_key_is_required_unless_debugging():
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY"):
        environment.load({})
    assert environment.load({"DJANGO_DEBUG": "true"}).secret_key


def test_start_up_fails_with_the_variable_named(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "k" * 50, "REDIS_URL": "nope"},
        capture_output=True,
        text=True,
        cwd=environment.__file__.rsplit("/catalog_service/", 1)[0],
    )
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr
