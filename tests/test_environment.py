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
        ("DJANGO_HTTPS", "sometimes"),
        ("DJANGO_SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https"),
        ("DJANGO_SECURE_HSTS_SECONDS", "-5"),
        ("DJANGO_TRUSTED_PROXY_COUNT", "one"),
        ("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", "12"),
        ("DJANGO_ADMIN_URL", "/admin/"),
        ("DJANGO_ADMIN_URL", "admin"),
        ("API_THROTTLE_RATE", "600"),
        ("API_THROTTLE_RATE", "0/min"),
        ("API_THROTTLE_RATE", "10/fortnight"),
        ("API_THROTTLE_FAIL_OPEN", "perhaps"),
        ("AXES_FAILURE_LIMIT", "0"),
        ("AXES_COOLOFF_MINUTES", "soon"),
        ("LOG_LEVEL", "LOUD"),
        ("LOG_FORMAT", "xml"),
    ],
)
def test_a_malformed_value_names_its_variable(name, value):
    with pytest.raises(ImproperlyConfigured, match=name):
        environment.load({**BASE, name: value})


def test_https_is_on_unless_debugging_and_a_proxy_header_is_opt_in():
    env = environment.load(BASE)
    assert (env.https, env.ssl_redirect, env.hsts_seconds) == (True, True, 31536000)
    assert (env.hsts_include_subdomains, env.hsts_preload, env.proxy_ssl_header) == (True, True, None)
    debugging = environment.load({"DJANGO_DEBUG": "true"})
    assert (debugging.https, debugging.ssl_redirect, debugging.hsts_seconds) == (False, False, 0)
    behind_proxy = environment.load({
        **BASE, "DJANGO_SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto", "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_HSTS_SECONDS": "3600", "DJANGO_TRUSTED_PROXY_COUNT": "1",
    })  # fmt: skip
    assert behind_proxy.proxy_ssl_header == ("HTTP_X_FORWARDED_PROTO", "https")
    assert (behind_proxy.https, behind_proxy.ssl_redirect, behind_proxy.hsts_seconds) == (True, False, 3600)
    assert behind_proxy.trusted_proxy_count == 1


def test_throttle_admin_url_lockout_and_logging_settings():
    env = environment.load(BASE)
    assert (env.api_throttle_rate, env.api_throttle_fail_open) == ("600/min", True)
    assert env.admin_url == "admin/"
    assert (env.axes_failure_limit, env.axes_cooloff_minutes) == (5, 15)
    assert (env.log_level, env.log_format) == ("INFO", "json")
    env = environment.load({
        **BASE, "API_THROTTLE_RATE": "", "API_THROTTLE_FAIL_OPEN": "false", "DJANGO_ADMIN_URL": "staff/desk/",
        "LOG_LEVEL": "warning", "LOG_FORMAT": "TEXT",
    })  # fmt: skip
    assert (env.api_throttle_rate, env.api_throttle_fail_open) == (None, False)
    assert env.admin_url == "staff/desk/"
    assert (env.log_level, env.log_format) == ("WARNING", "text")
    assert environment.load({**BASE, "API_THROTTLE_RATE": "20 / s"}).api_throttle_rate == "20/s"


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
