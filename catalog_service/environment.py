"""The service's environment, declared, read and validated in one place.

Each variable the settings read is declared once, as a field of ``Environment``: the attribute
the settings use, its type, and a ``Variable`` (the variable's name, its default, the parser that
validates it, one line of documentation and its group). ``TOOL_VARIABLES`` documents the
variables read around the service (gunicorn's config, ``make``, ``bin/stack``, the benchmark).
``config/env.example`` and ``docs/configuration.md`` are generated from both tables
(``catalog_service.environment_docs``, ``make config-docs``).

The defaults point at the local stack started by ``bin/stack``, so ``make run`` needs no
configuration. A malformed value stops start-up with ``ImproperlyConfigured`` naming the
variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

PRIMARY_READ_GUARD_MODES = ("off", "warn", "raise")
LOG_FORMATS = ("auto", "json", "text")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
#: HSTS max-age when DJANGO_SECURE_HSTS_SECONDS is not given and the site is served over HTTPS.
DEFAULT_HSTS_SECONDS = 31536000

_HEADER_NAME = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_ADMIN_URL = re.compile(r"^([A-Za-z0-9_-]+/)+$")
_THROTTLE_RATE = re.compile(r"^(\d+)/(s|sec|second|m|min|minute|h|hour|d|day)$")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# Only used when DJANGO_DEBUG is true and no key is given; never valid in production.
_DEBUG_SECRET_KEY = "insecure-development-key-set-DJANGO_SECRET_KEY-in-production"

ROOT = Path(__file__).resolve().parent.parent


# --- parsers: (variable name, stripped value) -> the setting's value, or ImproperlyConfigured ---


def parse_bool(name: str, value: str) -> bool:
    """Return the boolean ``value`` spells; anything but a clear yes or no is an error."""
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def parse_text(name: str, value: str) -> str:
    """Return ``value`` as it is."""
    return value


def parse_list(name: str, value: str) -> list[str]:
    """Return the non-empty items of a comma-separated list."""
    return [item.strip() for item in value.split(",") if item.strip()]


def parse_hosts(name: str, value: str) -> list[str]:
    """Return a comma-separated list of host names, at least one."""
    hosts = parse_list(name, value)
    if not hosts:
        raise ImproperlyConfigured(f"{name} must name at least one host")
    return hosts


def parse_database_url(name: str, url: str) -> dict[str, Any]:
    """Return Django's DATABASES entry for a ``postgres://`` URL."""
    if urlsplit(url).scheme not in ("postgres", "postgresql", "pgsql"):
        raise ImproperlyConfigured(f"{name} must be a postgres:// URL, not {url!r}")
    try:
        config = environ.Env.db_url_config(url)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} is malformed: {exc}") from exc
    if not config.get("HOST") or not config.get("NAME"):
        raise ImproperlyConfigured(f"{name} must name a host and a database: {url!r}")
    return config


def parse_database_urls(name: str, value: str) -> list[dict[str, Any]]:
    """Return a DATABASES entry for each URL of a comma-separated list (which may be empty)."""
    return [parse_database_url(name, url) for url in parse_list(name, value)]


def parse_url(name: str, url: str, *, schemes: tuple[str, ...]) -> str:
    """Return ``url`` when it has one of ``schemes`` and a location."""
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc:
        raise ImproperlyConfigured(
            f"{name} must be a {' or '.join(s + '://' for s in schemes)} URL, not {url!r}"
        )
    return url


def parse_origin(name: str, value: str) -> str:
    """Return an origin such as ``https://shop.example.com`` (scheme, host, optional port; no
    path, query or credentials), without a trailing slash; empty stays empty."""
    if not value:
        return ""
    parts = urlsplit(value)
    try:
        port = parts.port  # a malformed port raises ValueError
    except ValueError:
        port = -1
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or port == -1
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or "@" in parts.netloc
    ):
        raise ImproperlyConfigured(
            f"{name} must be an origin such as https://shop.example.com, not {value!r}"
        )
    return f"{parts.scheme}://{parts.netloc.lower()}"


def parse_mongodb_database(name: str, value: str) -> str:
    """Return a MongoDB database name (none of the characters MongoDB refuses in one)."""
    if not value or any(c in value for c in '/\\. "$'):
        raise ImproperlyConfigured(f"{name} is not a valid database name: {value!r}")
    return value


def parse_seconds(name: str, value: str, *, unit: str = "seconds") -> float:
    """Return a non-negative, finite number (of seconds, or of ``unit``)."""
    try:
        seconds = float(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number of {unit}, not {value!r}") from None
    if not seconds >= 0 or seconds == float("inf"):
        raise ImproperlyConfigured(f"{name} must be a finite number of {unit} >= 0, not {value!r}")
    return seconds


def parse_count(name: str, value: str, *, minimum: int = 0) -> int:
    """Return a whole number no smaller than ``minimum``."""
    try:
        count = int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None
    if count < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, not {value!r}")
    return count


def parse_proxy_ssl_header(name: str, value: str) -> tuple[str, str] | None:
    """Return Django's SECURE_PROXY_SSL_HEADER for the header a TLS-terminating proxy sets to
    ``https`` (``X-Forwarded-Proto``), or None when no proxy is trusted with it."""
    if not value:
        return None
    if not _HEADER_NAME.match(value):
        raise ImproperlyConfigured(
            f"{name} must be an HTTP header name such as X-Forwarded-Proto, not {value!r}"
        )
    return "HTTP_" + value.upper().replace("-", "_"), "https"


def parse_admin_url(name: str, value: str) -> str:
    """Return a URL prefix such as ``admin/`` or ``staff/catalog/`` (no leading slash, one at the end)."""
    if not _ADMIN_URL.match(value):
        raise ImproperlyConfigured(
            f"{name} must be path segments ending with '/' and without a leading one (admin/), not {value!r}"
        )
    return value


def parse_throttle_rate(name: str, value: str) -> str | None:
    """Return a rate such as ``600/min`` (requests per second, minute, hour or day), or None
    for an empty value: no throttling."""
    if not value:
        return None
    match = _THROTTLE_RATE.match(value.replace(" ", ""))
    if not match or int(match.group(1)) < 1:
        raise ImproperlyConfigured(
            f"{name} must look like 600/min (per s, min, hour or day), or be empty, not {value!r}"
        )
    return f"{int(match.group(1))}/{match.group(2)}"


def parse_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    """Return ``value`` when it is one of ``choices``."""
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, not {value!r}")
    return value


def parse_choice_of(choices: tuple[str, ...], normalize: Callable[[str], str]) -> Callable[[str, str], str]:
    """Return a parser accepting one of ``choices`` once ``normalize`` has made its case."""
    return lambda name, value: parse_choice(name, normalize(value), choices)


def parse_pairs(name: str, value: str) -> dict[str, str]:
    """Return ``key=value,key2=value2`` as a dict; keys and values must be non-empty."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        key, sep, val = (part.strip() for part in item.partition("="))
        if not sep or not key or not val:
            raise ImproperlyConfigured(f"{name} must be a comma-separated list of key=value, not {item!r}")
        pairs[key] = val
    return pairs


def parse_database_pairs(name: str, value: str) -> dict[str, dict[str, Any]]:
    """Return ``alias=postgres://...,...`` as alias -> DATABASES entry."""
    return {alias: parse_database_url(name, url) for alias, url in parse_pairs(name, value).items()}


def parse_token(name: str, value: str) -> str:
    """Return a bearer token of at least 32 characters without spaces, or empty: none."""
    if value and (len(value) < 32 or any(c.isspace() for c in value)):
        raise ImproperlyConfigured(f"{name} must be empty or at least 32 characters without spaces")
    return value


def parse_key_prefix(name: str, value: str) -> str:
    """Return a cache key prefix: 1-64 characters, no whitespace and no ':' (the key separator)."""
    if not value or len(value) > 64 or any(c.isspace() or c == ":" for c in value):
        raise ImproperlyConfigured(f"{name} must be 1-64 characters without spaces or ':', not {value!r}")
    return value


# --- the declaration ---


@dataclass(frozen=True)
class Group:
    """A heading of the documentation; ``in_env_example``: its variables appear in env.example."""

    title: str
    in_env_example: bool = True


@dataclass(frozen=True)
class Computed:
    """A default its reader computes; ``text`` says how, for the documentation."""

    text: str


@dataclass(frozen=True)
class Derived(Computed):
    """A default that depends on variables declared before it: ``value`` computes it from the
    values read so far (by attribute name)."""

    value: Callable[[SimpleNamespace], str]


@dataclass(frozen=True)
class Variable:
    """One variable of the environment.

    ``default`` is the text used when the variable is unset (a ``Derived`` one also when it is
    empty); ``parse`` turns the stripped text into the setting's value; ``doc`` is its line in
    the documentation; ``example`` is what env.example shows instead of the default.
    """

    name: str
    default: str | Derived
    parse: Callable[[str, str], Any]
    doc: str
    group: Group
    example: str | None = None
    attribute: str = ""  # the Environment field it fills, set when VARIABLES is built

    def read(self, source: Mapping[str, str], values: SimpleNamespace) -> Any:
        """Return the value ``source`` gives this variable, its default where it gives none."""
        raw = source.get(self.name)
        text = None if raw is None else raw.strip()
        if isinstance(self.default, Derived):
            text = text or self.default.value(values)
        elif text is None:
            text = self.default
        return self.parse(self.name, text)


def variable(
    name: str,
    default: str | Derived,
    parse: Callable[[str, str], Any],
    doc: str,
    *,
    group: Group,
    example: str | None = None,
) -> Any:
    """Declare a field of ``Environment`` read from the variable ``name``."""
    return field(metadata={"variable": Variable(name, default, parse, doc, group, example)})


def _secret_key_unless_debugging(values: SimpleNamespace) -> str:
    if not values.debug:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is false")
    return _DEBUG_SECRET_KEY


DJANGO = Group("Django")
POSTGRES = Group("PostgreSQL: primary, replicas and routing")
MONGODB = Group("MongoDB")
CACHE = Group("Redis and the response cache")
HTTPS = Group("HTTPS and proxies")
ABUSE = Group("Throttling and login lockout")
LOGGING = Group("Logging")


@dataclass(frozen=True)
class Environment:
    """The validated environment; read in declaration order, so a ``Derived`` default may use
    any field above it."""

    # variable() returns dataclasses.field(); RUF009 sees only a call in a mutable field's default.

    # Django
    debug: bool = variable(
        "DJANGO_DEBUG", "false", parse_bool,
        "Django's debug mode: tracebacks in pages; turns HTTPS off unless DJANGO_HTTPS says otherwise.",
        group=DJANGO,
    )  # fmt: skip
    secret_key: str = variable(
        "DJANGO_SECRET_KEY",
        Derived("required unless `DJANGO_DEBUG` (`make run` keeps one in `var/secret_key`)",
                _secret_key_unless_debugging),
        parse_text, "Django's secret key: signs sessions, CSRF tokens and the primary-pinning cookie.",
        group=DJANGO, example="change-me-to-50-random-characters",
    )  # fmt: skip
    allowed_hosts: list[str] = variable(  # noqa: RUF009
        "DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost", parse_hosts,
        "Comma-separated host names the service answers for.", group=DJANGO,
    )  # fmt: skip
    admin_url: str = variable(
        "DJANGO_ADMIN_URL", "admin/", parse_admin_url,
        "Where Admin lives, e.g. `staff/desk-7f3a/` (no leading slash, one at the end).", group=DJANGO,
    )  # fmt: skip
    data_upload_max_memory_size: int = variable(
        "DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", "1048576", partial(parse_count, minimum=1024),
        "A request body larger than this many bytes (at least 1024) is refused with 400.", group=DJANGO,
    )  # fmt: skip
    data_upload_max_number_fields: int = variable(
        "DJANGO_DATA_UPLOAD_MAX_NUMBER_FIELDS", "1000", partial(parse_count, minimum=10),
        "A form with more fields than this (at least 10) is refused with 400.", group=DJANGO,
    )  # fmt: skip
    health_token: str = variable(
        "HEALTH_TOKEN", "", parse_token,
        "Bearer token (32+ characters) that gets `/readyz`'s detailed body; empty: `{\"status\"}` only.",
        group=DJANGO, example="change-me-to-a-long-random-token-of-32-or-more",
    )  # fmt: skip
    secret_key_fallbacks: list[str] = variable(  # noqa: RUF009
        "DJANGO_SECRET_KEY_FALLBACKS", "", parse_list,
        "Comma-separated former secret keys, still accepted while they are rotated out (cursors, cookies).",
        group=DJANGO,
    )  # fmt: skip
    api_browsable: bool = variable(
        "API_BROWSABLE", Derived("`DJANGO_DEBUG`", lambda env: str(env.debug)), parse_bool,
        "Serve DRF's browsable API (HTML) to clients that ask for it; otherwise the API is JSON only.",
        group=DJANGO, example="false",
    )  # fmt: skip

    # PostgreSQL
    database: dict[str, Any] = variable(  # noqa: RUF009
        "DATABASE_URL", "postgres://catalog@127.0.0.1:55432/catalog", parse_database_url,
        "The primary, where every write goes.", group=POSTGRES,
    )  # fmt: skip
    replicas: list[dict[str, Any]] = variable(  # noqa: RUF009
        "DATABASE_REPLICA_URLS", "postgres://catalog@127.0.0.1:55433/catalog", parse_database_urls,
        "Comma-separated streaming replicas that serve reads; empty: the primary serves them.",
        group=POSTGRES,
    )  # fmt: skip
    extra_databases: dict[str, dict[str, Any]] = variable(  # noqa: RUF009
        "DATABASE_EXTRA_URLS", "", parse_database_pairs,
        "`alias=postgres://...`, comma-separated: more databases, for `DATABASE_ROUTES`.",
        group=POSTGRES, example="sessions=postgres://catalog@127.0.0.1:55432/catalog_sessions",
    )  # fmt: skip
    database_routes: dict[str, str] = variable(  # noqa: RUF009
        "DATABASE_ROUTES", "", parse_pairs,
        "`app_label=alias` or `app_label.Model=alias`, comma-separated: where those models live.",
        group=POSTGRES, example="sessions=sessions",
    )  # fmt: skip
    database_pgbouncer: bool = variable(
        "DATABASE_PGBOUNCER", "false", parse_bool,
        "`true` when the database URLs point at PgBouncer in transaction pooling mode.", group=POSTGRES,
    )  # fmt: skip
    pinning_seconds: float = variable(
        "PINNING_SECONDS", "15", parse_seconds,
        "After a write, the client reads from the primary this many seconds (a signed cookie).",
        group=POSTGRES,
    )  # fmt: skip
    max_replica_lag_seconds: float = variable(
        "MAX_REPLICA_LAG_SECONDS", "10", parse_seconds,
        "A replica whose replay lag exceeds this many seconds is left out until it catches up.",
        group=POSTGRES,
    )  # fmt: skip
    replica_cooldown_seconds: float = variable(
        "REPLICA_COOLDOWN_SECONDS", "30", parse_seconds,
        "A replica that failed to connect is skipped this many seconds (shared through Redis).",
        group=POSTGRES,
    )  # fmt: skip
    primary_read_guard: str = variable(
        "DATABASE_PRIMARY_READ_GUARD",
        Derived("`warn` with `DJANGO_DEBUG`, else `off`", lambda env: "warn" if env.debug else "off"),
        parse_choice_of(PRIMARY_READ_GUARD_MODES, str.lower),
        "`off`, `warn` or `raise` on reads that reach the primary in safe, unpinned requests.",
        group=POSTGRES, example="off",
    )  # fmt: skip
    database_statement_timeout: float = variable(
        "DATABASE_STATEMENT_TIMEOUT", "1.5", parse_seconds,
        "Seconds a web request's SQL statement may run (`statement_timeout`; 0: no limit); the"
        " service gives up on a server silent 0.5 s longer. Not for migrations or commands.",
        group=POSTGRES,
    )  # fmt: skip

    # MongoDB
    mongodb_url: str = variable(
        "MONGODB_URL", "mongodb://127.0.0.1:57017/?directConnection=true",
        partial(parse_url, schemes=("mongodb", "mongodb+srv")),
        "The MongoDB holding each product's document.", group=MONGODB,
    )  # fmt: skip
    mongodb_database: str = variable(
        "MONGODB_DATABASE", "catalog", parse_mongodb_database, "The MongoDB database's name.", group=MONGODB
    )
    document_max_bytes: int = variable(
        "DOCUMENT_MAX_BYTES", "524288", partial(parse_count, minimum=1024),
        "Largest product document validation accepts, in BSON bytes (MongoDB's own limit, 16 MiB, caps it).",
        group=MONGODB,
    )  # fmt: skip
    outbox_dead_letter_after: int = variable(
        "OUTBOX_DEAD_LETTER_AFTER", "5", partial(parse_count, minimum=1),
        "Rejections by MongoDB after which the relay dead-letters an outbox record and goes on.",
        group=MONGODB,
    )  # fmt: skip

    # Redis and the response cache
    redis_url: str = variable(
        "REDIS_URL", "redis://127.0.0.1:56379/0", partial(parse_url, schemes=("redis", "rediss", "unix")),
        "The shared Redis: response cache, throttle counters, replica cooldowns.", group=CACHE,
    )  # fmt: skip
    cache_key_prefix: str = variable(
        "CACHE_KEY_PREFIX", "catalog", parse_key_prefix,
        "Prefix of every cache key, one per deployment sharing a Redis (1-64 characters, no `:`).",
        group=CACHE,
    )  # fmt: skip
    cache_listing_ttl: float = variable(
        "CACHE_LISTING_TTL", "60", parse_seconds,
        "Seconds a cached listing page is fresh (invalidation does not wait for it).", group=CACHE,
    )  # fmt: skip
    cache_product_ttl: float = variable(
        "CACHE_PRODUCT_TTL", "300", parse_seconds,
        "Seconds a cached product detail is fresh (invalidation does not wait for it).", group=CACHE,
    )  # fmt: skip
    cache_near_mb: int = variable(
        "CACHE_NEAR_MB", "16", parse_count,
        "Megabytes of listing entries each process keeps in its own memory (the near cache); 0: off.",
        group=CACHE,
    )  # fmt: skip

    # HTTPS and proxies
    https: bool = variable(
        "DJANGO_HTTPS", Derived("`true` unless `DJANGO_DEBUG`", lambda env: str(not env.debug)), parse_bool,
        "The site is reached over HTTPS (here or at a proxy): redirect, `Secure` cookies, HSTS.",
        group=HTTPS, example="true",
    )  # fmt: skip
    ssl_redirect: bool = variable(
        "DJANGO_SECURE_SSL_REDIRECT", Derived("`DJANGO_HTTPS`", lambda env: str(env.https)), parse_bool,
        "Redirect plain HTTP to HTTPS (`/healthz` and `/readyz` are exempt: probes speak plain HTTP).",
        group=HTTPS, example="true",
    )  # fmt: skip
    proxy_ssl_header: tuple[str, str] | None = variable(
        "DJANGO_SECURE_PROXY_SSL_HEADER", "", parse_proxy_ssl_header,
        "The header a TLS-terminating proxy sets to `https`; only if the proxy always sets or strips it.",
        group=HTTPS, example="X-Forwarded-Proto",
    )  # fmt: skip
    hsts_seconds: int = variable(
        "DJANGO_SECURE_HSTS_SECONDS",
        Derived(f"`{DEFAULT_HSTS_SECONDS}` with `DJANGO_HTTPS`, else `0`",
                lambda env: str(DEFAULT_HSTS_SECONDS if env.https else 0)),
        parse_count, "HSTS max-age; start lower (3600) on a new domain, as browsers keep it that long.",
        group=HTTPS, example=str(DEFAULT_HSTS_SECONDS),
    )  # fmt: skip
    hsts_include_subdomains: bool = variable(
        "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", "true", parse_bool,
        "HSTS covers subdomains too; `false` if any of them serves plain HTTP.", group=HTTPS,
    )  # fmt: skip
    hsts_preload: bool = variable(
        "DJANGO_SECURE_HSTS_PRELOAD", "true", parse_bool,
        "HSTS allows submitting the domain to browsers' preload lists.", group=HTTPS,
    )  # fmt: skip
    trusted_proxy_count: int = variable(
        "DJANGO_TRUSTED_PROXY_COUNT", "0", parse_count,
        "Proxies in front that append to `X-Forwarded-For`; 0: the header is ignored (clients forge it).",
        group=HTTPS,
    )  # fmt: skip
    public_base_url: str = variable(
        "PUBLIC_BASE_URL", "", parse_origin,
        "The origin the API's links start with (`https://shop.example.com`); empty: the request's "
        "scheme and host, without a port other than the one the request came in on.",
        group=HTTPS, example="https://shop.example.com",
    )  # fmt: skip

    # Throttling and login lockout
    api_throttle_rate: str | None = variable(
        "API_THROTTLE_RATE", "600/min", parse_throttle_rate,
        "Requests per client per `s`, `min`, `hour` or `day`; empty: no throttling.", group=ABUSE,
    )  # fmt: skip
    api_throttle_fail_open: bool = variable(
        "API_THROTTLE_FAIL_OPEN", "true", parse_bool,
        "With Redis unreachable, `true` serves unthrottled, `false` answers 503 with Retry-After.",
        group=ABUSE,
    )  # fmt: skip
    axes_failure_limit: int = variable(
        "AXES_FAILURE_LIMIT", "5", partial(parse_count, minimum=1),
        "Failed Admin logins from one address before it is locked out.", group=ABUSE,
    )  # fmt: skip
    axes_cooloff_minutes: float = variable(
        "AXES_COOLOFF_MINUTES", "15", partial(parse_seconds, unit="minutes"),
        "Minutes a lockout lasts.", group=ABUSE,
    )  # fmt: skip

    # Logging
    log_level: str = variable(
        "LOG_LEVEL", "INFO", parse_choice_of(LOG_LEVELS, str.upper),
        "The root logger's level: `DEBUG`, `INFO`, `WARNING`, `ERROR` or `CRITICAL`.", group=LOGGING,
    )  # fmt: skip
    log_format: str = variable(
        "LOG_FORMAT", "auto", parse_choice_of(LOG_FORMATS, str.lower),
        "`json` (one object per line, with the request id), `text` for reading by eye, or `auto`: "
        "text when the output is a terminal, else JSON.", group=LOGGING,
    )  # fmt: skip


#: Every variable the settings read, by name, in declaration order.
VARIABLES: Mapping[str, Variable] = {
    v.name: v for v in (replace(f.metadata["variable"], attribute=f.name) for f in fields(Environment))
}


def load(source: Mapping[str, str] | None = None) -> Environment:
    """Return the validated environment (``os.environ`` unless ``source`` is given)."""
    source = os.environ if source is None else source
    values = SimpleNamespace()
    for variable in VARIABLES.values():
        setattr(values, variable.attribute, variable.read(source, values))
    return Environment(**vars(values))


# --- the variables read around the service: documented here, read by their owners ---


@dataclass(frozen=True)
class ToolVariable:
    """A variable read outside the settings: ``read_by`` names the files or directories that
    read it (tests check it is read there); ``default`` is as the reader has it."""

    name: str
    default: str | Computed
    doc: str
    group: Group
    read_by: tuple[str, ...]
    example: str | None = None


GUNICORN = Group("gunicorn (`config/gunicorn.conf.py`; the ASGI config takes the same but the worker)")
COMMANDS = Group("`make run` and management commands")
STACK = Group("The local stack (`bin/stack`, `bin/with-stack`, `make test`)", in_env_example=False)
BENCH = Group("Benchmarks and load tests (`loadtests/`)", in_env_example=False)

_WSGI = ("config/gunicorn.conf.py",)
_BOTH = ("config/gunicorn.conf.py", "config/gunicorn_asgi.conf.py")
_SUPERUSER = "catalog_service/management/commands/ensure_superuser.py"
_MAKE = ("Makefile",)
_STACK = ("bin/stack",)
_LOAD = ("loadtests",)

# fmt: off
TOOL_VARIABLES: tuple[ToolVariable, ...] = (
    ToolVariable("GUNICORN_BIND", "127.0.0.1:8000", "Address to listen on.", GUNICORN, _WSGI),
    ToolVariable("WEB_CONCURRENCY", Computed("twice the CPUs, plus 1 (ASGI: one per CPU)"),
                 "Worker processes; CPUs are those this process may run on.", GUNICORN, _BOTH, example="5"),
    ToolVariable("GUNICORN_WORKER_CLASS", "gthread", "`gthread` or `sync` (WSGI only).", GUNICORN, _WSGI),
    ToolVariable("GUNICORN_THREADS", Computed("`4` with `gthread`, else `1`"),
                 "Threads per worker (WSGI only).",
                 GUNICORN, _WSGI, example="4"),
    ToolVariable("GUNICORN_REUSE_PORT", "false", "`SO_REUSEPORT` on the listening socket.", GUNICORN, _WSGI),
    ToolVariable("GUNICORN_PRELOAD", "false", "Load the application in the master before forking.",
                 GUNICORN, _WSGI),
    ToolVariable("GUNICORN_TIMEOUT", "30", "A worker silent this many seconds is replaced.", GUNICORN, _WSGI),
    ToolVariable("GUNICORN_GRACEFUL_TIMEOUT", "30",
                 "On HUP or TERM, workers finish their requests for at most this many seconds.",
                 GUNICORN, _WSGI),
    ToolVariable("GUNICORN_KEEPALIVE", "5",
                 "Seconds a gthread worker keeps an idle connection; above a balancer's idle timeout.",
                 GUNICORN, _WSGI),
    ToolVariable("GUNICORN_MAX_REQUESTS", "5000", "Recycle a worker after this many requests; 0: never.",
                 GUNICORN, _WSGI),
    ToolVariable("GUNICORN_MAX_REQUESTS_JITTER", "500",
                 "Up to this many more requests, so workers do not restart together.", GUNICORN, _WSGI),
    ToolVariable("GUNICORN_ACCESS_LOG", "-", "Where the JSON access log goes: `-` is stdout.",
                 GUNICORN, _WSGI),
    ToolVariable("GUNICORN_LOG_LEVEL", "info", "The level of gunicorn's own messages.", GUNICORN, _WSGI),
    ToolVariable("GUNICORN_FORWARDED_ALLOW_IPS", "",
                 "Proxies allowed to set the headers below and the scheme; empty: none, loopback included.",
                 GUNICORN, _WSGI, example="10.0.0.5"),
    ToolVariable("GUNICORN_FORWARDER_HEADERS", "",
                 "Headers such a proxy may map into the WSGI environment (e.g. `SCRIPT_NAME`).",
                 GUNICORN, _WSGI, example="SCRIPT_NAME"),

    ToolVariable("DJANGO_SETTINGS_MODULE", "catalog_service.settings",
                 "The settings module (the benchmark's servers use `loadtests.settings`).", COMMANDS,
                 ("manage.py", "catalog_service/wsgi.py", "catalog_service/asgi.py")),
    ToolVariable("DJANGO_SUPERUSER_USERNAME", "",
                 "With the password set, `make run` creates or updates this admin user.", COMMANDS,
                 ("Makefile", _SUPERUSER), example="admin"),
    ToolVariable("DJANGO_SUPERUSER_PASSWORD", "",
                 "That admin user's password (`manage.py ensure_superuser`).",
                 COMMANDS, ("Makefile", _SUPERUSER), example="change-me"),
    ToolVariable("DJANGO_SUPERUSER_EMAIL", "", "That admin user's e-mail address, when it is created.",
                 COMMANDS, (_SUPERUSER,), example="admin@example.com"),
    ToolVariable("DEMO_CATEGORIES", "30", "Categories `make run` seeds into an empty catalog.",
                 COMMANDS, _MAKE),
    ToolVariable("DEMO_PRODUCTS", "2000", "Products `make run` seeds into an empty catalog.",
                 COMMANDS, _MAKE),

    ToolVariable("STACK_REPLICAS", Computed("`1` (`make test`: `2`)"), "Streaming replicas the stack runs.",
                 STACK, ("bin/stack", "Makefile")),
    ToolVariable("STACK_PG_PORT", "55432", "The primary's port; replica N listens on this plus N.",
                 STACK, _STACK),
    ToolVariable("STACK_REDIS_PORT", "56379", "Redis's port.", STACK, _STACK),
    ToolVariable("STACK_MONGO_PORT", "57017", "MongoDB's port.", STACK, ("bin/stack", "loadtests")),
    ToolVariable("STACK_MONGO", "file", "The MongoDB stand-in's storage: `file` (under `var/`) or `memory`.",
                 STACK, _STACK),
    ToolVariable("STACK_MONGO_CACHE_MB", "1024", "The MongoDB stand-in's cache, in megabytes.",
                 STACK, _STACK),
    ToolVariable("STACK_WAIT_SECONDS", "60", "How long a server may take to come up.", STACK, _STACK),
    ToolVariable("PG_BIN", "/usr/lib/postgresql/15/bin", "Where PostgreSQL's programs are.", STACK, _STACK),
    ToolVariable("DATABASE_URL", "",
                 "Set: `bin/with-stack` starts no stack and uses the servers the environment names.", STACK,
                 ("bin/with-stack",)),
    ToolVariable("MONGODB_URL", "", "Set to another server's: `bin/stack` starts no MongoDB.", STACK, _STACK),
    ToolVariable("PYTEST_ARGS", "", "Arguments `make test` passes to pytest.", STACK, _MAKE),

    ToolVariable("BENCH_ARGS", "", "Options `make bench` passes to the runner, e.g. `--large`.",
                 BENCH, _MAKE),
    ToolVariable("BENCH_WORKERS", "2", "gunicorn workers per benchmarked server.", BENCH, _LOAD),
    ToolVariable("BENCH_PATH", Computed("unset: Locust runs shoppers and staff"),
                 "Set by the runner: the listing path of the variant Locust requests.", BENCH, _LOAD),
    ToolVariable("BENCH_PAGE_SIZE", "24", "Set by the runner: the variant's page size.", BENCH, _LOAD),
    ToolVariable("BENCH_MAX_ITEMS", Computed("`BENCH_PAGE_SIZE`"),
                 "Set by the runner: the variant's page size ceiling.", BENCH, _LOAD),
    ToolVariable("BENCH_SLUGS", "", "Set by the runner: the categories requested; empty: all of them.",
                 BENCH, _LOAD),
    ToolVariable("LOCUST_ALLOWED_HOSTS", "", "Comma-separated hosts Locust may target besides loopback.",
                 BENCH, _LOAD),
    ToolVariable("LOCUST_STAFF_USERS", "1", "Admin users among Locust's users.", BENCH, _LOAD),
    ToolVariable("LOCUST_STAFF_USERNAME", "bench-staff", "The Admin user Locust's staff log in as.",
                 BENCH, _LOAD),
    ToolVariable("LOCUST_STAFF_PASSWORD", "bench-staff-password", "That user's password.", BENCH, _LOAD),
    ToolVariable("BENCH_CPU_DIR", "", "Set by the runner: where each Locust process writes its CPU time.",
                 BENCH, _LOAD),
    ToolVariable("BENCH_CHECK", "page", "Set by the runner: how a benchmark user checks an answer.",
                 BENCH, _LOAD),
    ToolVariable("BENCH_CHECK_EVERY", "1", "Set by the runner: check every Nth answer in full.",
                 BENCH, _LOAD),
)
# fmt: on
