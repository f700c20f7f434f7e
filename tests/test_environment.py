import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from catalog_service import environment, environment_docs
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
    assert (env.log_level, env.log_format) == ("INFO", "auto")
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
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "k" * 50, "REDIS_URL": "nope"},
        capture_output=True,
        text=True,
        cwd=environment.__file__.rsplit("/catalog_service/", 1)[0],
    )
    assert result.returncode != 0
    assert "REDIS_URL" in result.stderr


# --- the declaration: each variable once, and the files generated from it ---

ROOT = Path(environment.__file__).resolve().parent.parent

#: Every variable's name and default as the settings have always read them (a Derived default
#: is given by its documentation, and pinned by the behaviour tests above and below).
DEFAULTS = {
    "DJANGO_SECRET_KEY": None, "DJANGO_DEBUG": "false", "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": "postgres://catalog@127.0.0.1:55432/catalog",
    "DATABASE_REPLICA_URLS": "postgres://catalog@127.0.0.1:55433/catalog",
    "MONGODB_URL": "mongodb://127.0.0.1:57017/?directConnection=true", "MONGODB_DATABASE": "catalog",
    "REDIS_URL": "redis://127.0.0.1:56379/0", "DATABASE_EXTRA_URLS": "", "DATABASE_ROUTES": "",
    "DATABASE_PGBOUNCER": "false", "PINNING_SECONDS": "15", "MAX_REPLICA_LAG_SECONDS": "10",
    "REPLICA_COOLDOWN_SECONDS": "30", "DATABASE_PRIMARY_READ_GUARD": None, "CACHE_KEY_PREFIX": "catalog",
    "DATABASE_STATEMENT_TIMEOUT": "1.5",
    "CACHE_LISTING_TTL": "60", "CACHE_PRODUCT_TTL": "300", "CACHE_NEAR_MB": "16", "DJANGO_HTTPS": None,
    "DJANGO_SECURE_SSL_REDIRECT": None, "DJANGO_SECURE_PROXY_SSL_HEADER": "",
    "DJANGO_SECURE_HSTS_SECONDS": None,
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true", "DJANGO_SECURE_HSTS_PRELOAD": "true",
    "DJANGO_TRUSTED_PROXY_COUNT": "0", "DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE": "1048576",
    "DJANGO_DATA_UPLOAD_MAX_NUMBER_FIELDS": "1000", "DJANGO_ADMIN_URL": "admin/", "HEALTH_TOKEN": "",
    "API_THROTTLE_RATE": "600/min",
    "API_THROTTLE_FAIL_OPEN": "true", "AXES_FAILURE_LIMIT": "5", "AXES_COOLOFF_MINUTES": "15",
    "LOG_LEVEL": "INFO", "LOG_FORMAT": "auto",
    "DJANGO_SECRET_KEY_FALLBACKS": "", "API_BROWSABLE": None, "PUBLIC_BASE_URL": "",
    "DOCUMENT_MAX_BYTES": "524288", "OUTBOX_DEAD_LETTER_AFTER": "5",
}  # fmt: skip


def test_every_variable_keeps_its_name_and_default():
    declared = {
        name: None if isinstance(variable.default, environment.Derived) else variable.default
        for name, variable in environment.VARIABLES.items()
    }
    assert declared == DEFAULTS
    # One field per variable: a name declared twice would vanish from VARIABLES.
    attributes = [v.attribute for v in environment.VARIABLES.values()]
    assert attributes == [f.name for f in fields(environment.Environment)]


def test_the_values_of_every_default():
    env = environment.load(BASE)
    assert env.allowed_hosts == ["127.0.0.1", "localhost"]
    assert (env.mongodb_database, env.cache_key_prefix, env.database_pgbouncer) == (
        "catalog",
        "catalog",
        False,
    )
    assert (env.extra_databases, env.database_routes) == ({}, {})
    assert (env.cache_listing_ttl, env.cache_product_ttl, env.cache_near_mb) == (60, 300, 16)
    assert (env.data_upload_max_memory_size, env.data_upload_max_number_fields) == (1048576, 1000)


def test_a_derived_default_applies_when_the_variable_is_unset_or_empty():
    # As before the table: an empty DJANGO_HTTPS is "not debugging", an empty key is no key.
    for empty in ("", "  "):
        env = environment.load({**BASE, "DJANGO_HTTPS": empty, "DJANGO_SECURE_HSTS_SECONDS": empty})
        assert (env.https, env.ssl_redirect, env.hsts_seconds) == (True, True, 31536000)
        debugging = environment.load({"DJANGO_DEBUG": "true", "DJANGO_SECRET_KEY": empty})
        assert debugging.secret_key and debugging.primary_read_guard == "warn"
    plain = environment.load({**BASE, "DJANGO_HTTPS": "false"})
    assert (plain.ssl_redirect, plain.hsts_seconds) == (False, 0)
    # A variable with a plain default takes an empty value as given: no replicas, no throttling.
    assert environment.load({**BASE, "DATABASE_REPLICA_URLS": " "}).replicas == []
    assert environment.load({**BASE, "API_THROTTLE_RATE": " "}).api_throttle_rate is None


def test_each_variable_is_declared_once_documented_in_one_line_and_used_by_the_settings():
    settings_source = (ROOT / "catalog_service" / "settings.py").read_text()
    tool_names = [v.name for v in environment.TOOL_VARIABLES]
    assert len(tool_names) == len(set(tool_names))
    for variable in (*environment.VARIABLES.values(), *environment.TOOL_VARIABLES):
        assert variable.doc.strip() and "\n" not in variable.doc and "|" not in variable.doc, variable.name
        assert variable.doc.endswith("."), variable.name
    for variable in environment.VARIABLES.values():
        assert re.search(rf"\bENV\.{variable.attribute}\b", settings_source), variable.name


@pytest.mark.parametrize("path", list(environment_docs.GENERATED_FILES), ids=lambda p: p.name)
def test_the_generated_files_are_what_the_declarations_produce(path):
    assert path.read_text() == environment_docs.GENERATED_FILES[path](), "run make config-docs"


def test_the_configuration_doc_and_env_example_list_every_variable():
    doc = environment_docs.CONFIGURATION_DOC.read_text()
    example = environment_docs.ENV_EXAMPLE.read_text()
    for variable in (*environment.VARIABLES.values(), *environment.TOOL_VARIABLES):
        assert f"| `{variable.name}` |" in doc
    for variable in environment.VARIABLES.values():
        assert re.search(rf"^(# )?{variable.name}=", example, re.M), variable.name
    # The one required variable is set, the rest are left at their defaults.
    assert re.findall(r"^[A-Z_]+(?==)", example, re.M) == ["DJANGO_SECRET_KEY"]


def test_check_reports_a_stale_file_and_write_regenerates_it(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "configuration.md"
    stale.write_text("# Configuration\n\nhand-edited\n")
    monkeypatch.setattr(environment_docs, "ROOT", tmp_path)
    monkeypatch.setattr(
        environment_docs, "GENERATED_FILES", {stale: environment_docs.render_configuration_doc}
    )
    assert environment_docs.main(["--check"]) == 1
    assert "configuration.md is out of date" in capsys.readouterr().err
    assert environment_docs.main(["--write"]) == 0
    assert stale.read_text() == environment_docs.render_configuration_doc()
    assert environment_docs.main(["--check"]) == 0


def test_the_module_runs_as_a_command():
    result = subprocess.run(
        [sys.executable, "-m", "catalog_service.environment_docs", "--check"],
        env={"PATH": "/usr/bin:/bin"}, cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr


# --- every variable read around the service is documented, and read where the table says ---

PY_READ = re.compile(
    r"""(?:os\.environ\.(?:get|setdefault)|os\.getenv|\b_env|\benv\.get)\(\s*["']([A-Z][A-Z0-9_]*)["']"""
    r"""(?:\s*,\s*["']([^"']*)["']\s*\))?|os\.environ\[["']([A-Z][A-Z0-9_]*)["']\]"""
)
SHELL_READ = re.compile(r"\$\$?\{([A-Z][A-Z0-9_]*):-(?:([^}$]*)\})?")
MAKE_USE = re.compile(r"\$\(([A-Z][A-Z0-9_]*)\)")
MAKE_SET = re.compile(r"^([A-Z][A-Z0-9_]*)\s*(\?|:)?=\s*(.*?)\s*$", re.M)


def environment_reads() -> dict[str, dict[str, str | None]]:
    """Return path -> {variable: its literal default there, or None} for every read of the
    environment in the service's code, gunicorn's configs, make, bin/ and the load tests."""
    packages = ("catalog_service", "catalog", "categories", "loadtests")
    python = [
        *(path for package in packages for path in (ROOT / package).rglob("*.py")),
        *(ROOT / "config").glob("gunicorn*.py"), ROOT / "manage.py",
    ]  # fmt: skip
    reads: dict[str, dict[str, str | None]] = {}
    for path in python:
        if path == ROOT / "catalog_service" / "environment.py":  # reads the declared table
            continue
        found = {m[0] or m[2]: m[1] or None for m in PY_READ.findall(path.read_text())}
        if found:
            reads[str(path.relative_to(ROOT))] = found
    for path in (ROOT / "bin").iterdir():
        found = {name: literal or None for name, literal in SHELL_READ.findall(path.read_text())}
        if found:
            reads[str(path.relative_to(ROOT))] = found
    makefile = (ROOT / "Makefile").read_text()
    defined = {name: (op, value) for name, op, value in MAKE_SET.findall(makefile)}
    # make takes a variable from the environment when it is used and not set, or set with ?=.
    make_reads = {name: None for name in MAKE_USE.findall(makefile) if name not in defined}
    make_reads |= {name: value for name, (op, value) in defined.items() if op == "?"}
    make_reads |= {name: literal or None for name, literal in SHELL_READ.findall(makefile)}
    reads["Makefile"] = make_reads
    return reads


def test_every_variable_read_around_the_service_is_documented():
    documented = set(environment.VARIABLES) | {v.name for v in environment.TOOL_VARIABLES}
    undocumented = {
        f"{name} ({path})" for path, found in environment_reads().items() for name in found
        if name not in documented
    }  # fmt: skip
    assert not undocumented, "add them to TOOL_VARIABLES in catalog_service/environment.py"


def test_each_tool_variable_is_read_where_it_says_with_the_default_it_documents():
    reads = environment_reads()
    for variable in environment.TOOL_VARIABLES:
        where = {
            path: found[variable.name] for path, found in reads.items()
            if variable.name in found and any(path == r or path.startswith(r + "/") for r in variable.read_by)
        }  # fmt: skip
        readers = {r for r in variable.read_by for path in where if path == r or path.startswith(r + "/")}
        assert readers == set(variable.read_by), variable.name
        if not isinstance(variable.default, environment.Computed):
            literals = {literal for literal in where.values() if literal is not None}
            assert literals <= {variable.default}, variable.name
