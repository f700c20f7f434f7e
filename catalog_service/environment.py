"""The service's environment, read and validated in one place.

Every variable the settings read is declared in ``VARIABLES`` with its default; the
defaults point at the local stack started by ``bin/stack``, so ``make run`` needs no
configuration. A malformed value stops start-up with ``ImproperlyConfigured`` naming the
variable.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

#: name -> default (None: required, or optional where the reader says so).
VARIABLES: dict[str, str | None] = {
    "DJANGO_SECRET_KEY": None,
    "DJANGO_DEBUG": "false",
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DATABASE_URL": "postgres://catalog@127.0.0.1:55432/catalog",
    "DATABASE_REPLICA_URLS": "postgres://catalog@127.0.0.1:55433/catalog",
    "MONGODB_URL": "mongodb://127.0.0.1:57017/?directConnection=true",
    "MONGODB_DATABASE": "catalog",
    "REDIS_URL": "redis://127.0.0.1:56379/0",
    "DATABASE_EXTRA_URLS": "",
    "DATABASE_ROUTES": "",
    "DATABASE_PGBOUNCER": "false",
    "PINNING_SECONDS": "15",
    "MAX_REPLICA_LAG_SECONDS": "10",
    "REPLICA_COOLDOWN_SECONDS": "30",
    "DATABASE_PRIMARY_READ_GUARD": "",
    "CACHE_KEY_PREFIX": "catalog",
    "CACHE_LISTING_TTL": "60",
    "CACHE_PRODUCT_TTL": "300",
    "CACHE_NEAR_MB": "16",
    # HTTPS: empty means "not DJANGO_DEBUG" (plain HTTP is for development and loopback runs).
    "DJANGO_HTTPS": "",
    "DJANGO_SECURE_SSL_REDIRECT": "",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "",
    "DJANGO_SECURE_HSTS_SECONDS": "",
    "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "DJANGO_SECURE_HSTS_PRELOAD": "true",
    "DJANGO_TRUSTED_PROXY_COUNT": "0",
    "DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE": "1048576",
    "DJANGO_DATA_UPLOAD_MAX_NUMBER_FIELDS": "1000",
    "DJANGO_ADMIN_URL": "admin/",
    "API_THROTTLE_RATE": "600/min",
    "API_THROTTLE_FAIL_OPEN": "true",
    "AXES_FAILURE_LIMIT": "5",
    "AXES_COOLOFF_MINUTES": "15",
    "LOG_LEVEL": "INFO",
    "LOG_FORMAT": "json",
}

PRIMARY_READ_GUARD_MODES = ("off", "warn", "raise")
LOG_FORMATS = ("json", "text")
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


@dataclass(frozen=True)
class Environment:
    secret_key: str
    debug: bool
    allowed_hosts: list[str]
    database: dict[str, Any]
    replicas: list[dict[str, Any]]
    mongodb_url: str
    mongodb_database: str
    redis_url: str
    extra_databases: dict[str, dict[str, Any]]
    database_routes: dict[str, str]
    database_pgbouncer: bool
    pinning_seconds: float
    max_replica_lag_seconds: float
    replica_cooldown_seconds: float
    primary_read_guard: str
    cache_key_prefix: str
    cache_listing_ttl: float
    cache_product_ttl: float
    cache_near_mb: int
    https: bool
    ssl_redirect: bool
    proxy_ssl_header: tuple[str, str] | None
    hsts_seconds: int
    hsts_include_subdomains: bool
    hsts_preload: bool
    trusted_proxy_count: int
    data_upload_max_memory_size: int
    data_upload_max_number_fields: int
    admin_url: str
    api_throttle_rate: str | None
    api_throttle_fail_open: bool
    axes_failure_limit: int
    axes_cooloff_minutes: float
    log_level: str
    log_format: str


def _raw(source: Mapping[str, str], name: str) -> str | None:
    value = source.get(name)
    return VARIABLES[name] if value is None else value.strip()


def parse_bool(name: str, value: str) -> bool:
    """Return the boolean ``value`` spells; anything but a clear yes or no is an error."""
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


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


def _parse_url(name: str, url: str, schemes: tuple[str, ...]) -> str:
    parts = urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc:
        raise ImproperlyConfigured(
            f"{name} must be a {' or '.join(s + '://' for s in schemes)} URL, not {url!r}"
        )
    return url


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


def parse_pairs(name: str, value: str) -> dict[str, str]:
    """Return ``key=value,key2=value2`` as a dict; keys and values must be non-empty."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in value.split(","))):
        key, sep, val = (part.strip() for part in item.partition("="))
        if not sep or not key or not val:
            raise ImproperlyConfigured(f"{name} must be a comma-separated list of key=value, not {item!r}")
        pairs[key] = val
    return pairs


def load(source: Mapping[str, str] | None = None) -> Environment:
    """Return the validated environment (``os.environ`` unless ``source`` is given)."""
    source = os.environ if source is None else source
    debug = parse_bool("DJANGO_DEBUG", _raw(source, "DJANGO_DEBUG") or "")
    secret_key = _raw(source, "DJANGO_SECRET_KEY")
    if not secret_key:
        if not debug:
            raise ImproperlyConfigured("DJANGO_SECRET_KEY is required when DJANGO_DEBUG is false")
        secret_key = _DEBUG_SECRET_KEY
    hosts = [h.strip() for h in (_raw(source, "DJANGO_ALLOWED_HOSTS") or "").split(",") if h.strip()]
    if not hosts:
        raise ImproperlyConfigured("DJANGO_ALLOWED_HOSTS must name at least one host")
    replica_urls = [u.strip() for u in (_raw(source, "DATABASE_REPLICA_URLS") or "").split(",") if u.strip()]
    mongodb_database = _raw(source, "MONGODB_DATABASE") or ""
    if not mongodb_database or any(c in mongodb_database for c in '/\\. "$'):
        raise ImproperlyConfigured(f"MONGODB_DATABASE is not a valid database name: {mongodb_database!r}")
    extra = {
        alias: parse_database_url("DATABASE_EXTRA_URLS", url)
        for alias, url in parse_pairs(
            "DATABASE_EXTRA_URLS", _raw(source, "DATABASE_EXTRA_URLS") or ""
        ).items()
    }
    guard = (_raw(source, "DATABASE_PRIMARY_READ_GUARD") or ("warn" if debug else "off")).lower()
    if guard not in PRIMARY_READ_GUARD_MODES:
        raise ImproperlyConfigured(
            f"DATABASE_PRIMARY_READ_GUARD must be one of {', '.join(PRIMARY_READ_GUARD_MODES)}, not {guard!r}"
        )
    https = parse_bool("DJANGO_HTTPS", _raw(source, "DJANGO_HTTPS") or str(not debug))
    ssl_redirect = parse_bool(
        "DJANGO_SECURE_SSL_REDIRECT", _raw(source, "DJANGO_SECURE_SSL_REDIRECT") or str(https)
    )
    hsts_seconds = parse_count(
        "DJANGO_SECURE_HSTS_SECONDS",
        _raw(source, "DJANGO_SECURE_HSTS_SECONDS") or str(DEFAULT_HSTS_SECONDS if https else 0),
    )
    return Environment(
        secret_key=secret_key,
        debug=debug,
        allowed_hosts=hosts,
        database=parse_database_url("DATABASE_URL", _raw(source, "DATABASE_URL") or ""),
        replicas=[parse_database_url("DATABASE_REPLICA_URLS", url) for url in replica_urls],
        mongodb_url=_parse_url("MONGODB_URL", _raw(source, "MONGODB_URL") or "", ("mongodb", "mongodb+srv")),
        mongodb_database=mongodb_database,
        redis_url=_parse_url("REDIS_URL", _raw(source, "REDIS_URL") or "", ("redis", "rediss", "unix")),
        extra_databases=extra,
        database_routes=parse_pairs("DATABASE_ROUTES", _raw(source, "DATABASE_ROUTES") or ""),
        database_pgbouncer=parse_bool("DATABASE_PGBOUNCER", _raw(source, "DATABASE_PGBOUNCER") or ""),
        pinning_seconds=parse_seconds("PINNING_SECONDS", _raw(source, "PINNING_SECONDS") or ""),
        max_replica_lag_seconds=parse_seconds(
            "MAX_REPLICA_LAG_SECONDS", _raw(source, "MAX_REPLICA_LAG_SECONDS") or ""
        ),
        replica_cooldown_seconds=parse_seconds(
            "REPLICA_COOLDOWN_SECONDS", _raw(source, "REPLICA_COOLDOWN_SECONDS") or ""
        ),
        primary_read_guard=guard,
        cache_key_prefix=_key_prefix(_raw(source, "CACHE_KEY_PREFIX") or ""),
        cache_listing_ttl=parse_seconds("CACHE_LISTING_TTL", _raw(source, "CACHE_LISTING_TTL") or ""),
        cache_product_ttl=parse_seconds("CACHE_PRODUCT_TTL", _raw(source, "CACHE_PRODUCT_TTL") or ""),
        cache_near_mb=parse_count("CACHE_NEAR_MB", _raw(source, "CACHE_NEAR_MB") or ""),
        https=https,
        ssl_redirect=ssl_redirect,
        proxy_ssl_header=parse_proxy_ssl_header(
            "DJANGO_SECURE_PROXY_SSL_HEADER", _raw(source, "DJANGO_SECURE_PROXY_SSL_HEADER") or ""
        ),
        hsts_seconds=hsts_seconds,
        hsts_include_subdomains=_bool(source, "DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS"),
        hsts_preload=_bool(source, "DJANGO_SECURE_HSTS_PRELOAD"),
        trusted_proxy_count=_count(source, "DJANGO_TRUSTED_PROXY_COUNT"),
        data_upload_max_memory_size=_count(source, "DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", minimum=1024),
        data_upload_max_number_fields=_count(source, "DJANGO_DATA_UPLOAD_MAX_NUMBER_FIELDS", minimum=10),
        admin_url=parse_admin_url("DJANGO_ADMIN_URL", _raw(source, "DJANGO_ADMIN_URL") or ""),
        api_throttle_rate=parse_throttle_rate("API_THROTTLE_RATE", _raw(source, "API_THROTTLE_RATE") or ""),
        api_throttle_fail_open=_bool(source, "API_THROTTLE_FAIL_OPEN"),
        axes_failure_limit=_count(source, "AXES_FAILURE_LIMIT", minimum=1),
        axes_cooloff_minutes=parse_seconds(
            "AXES_COOLOFF_MINUTES", _raw(source, "AXES_COOLOFF_MINUTES") or "", unit="minutes"
        ),
        log_level=parse_choice("LOG_LEVEL", (_raw(source, "LOG_LEVEL") or "").upper(), LOG_LEVELS),
        log_format=parse_choice("LOG_FORMAT", (_raw(source, "LOG_FORMAT") or "").lower(), LOG_FORMATS),
    )


def _bool(source: Mapping[str, str], name: str) -> bool:
    return parse_bool(name, _raw(source, name) or "")


def _count(source: Mapping[str, str], name: str, *, minimum: int = 0) -> int:
    return parse_count(name, _raw(source, name) or "", minimum=minimum)


def _key_prefix(value: str) -> str:
    if not value or len(value) > 64 or any(c.isspace() or c == ":" for c in value):
        raise ImproperlyConfigured(
            f"CACHE_KEY_PREFIX must be 1-64 characters without spaces or ':', not {value!r}"
        )
    return value
