"""Django settings. Every value that varies between deployments comes from the
environment, read and validated once in ``catalog_service.environment``; there is no
separate production settings module."""

from __future__ import annotations

from pathlib import Path

from catalog_service import environment
from catalog_service.db.config import build_databases

ENV = environment.load()
BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = ENV.secret_key
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "catalog_service",
    "categories",
    "catalog",
]

MIDDLEWARE = [
    # Outermost, so that the session's save at the end of a request counts as its write.
    "catalog_service.db.middleware.PrimaryPinningMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # ETag on every GET (a hash of the body) and 304 for a matching If-None-Match.
    "django.middleware.http.ConditionalGetMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "catalog_service.urls"
WSGI_APPLICATION = "catalog_service.wsgi.application"
ASGI_APPLICATION = "catalog_service.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = build_databases(ENV.database, ENV.replicas, ENV.extra_databases, pgbouncer=ENV.database_pgbouncer)
DATABASE_ROUTERS = ["catalog_service.db.router.PrimaryReplicaRouter"]
# app_label or app_label.Model -> alias: those models live there (reads, writes, migrations).
DATABASE_ROUTES = ENV.database_routes
# After a write, the client reads from the primary this long (a signed cookie).
PINNING_SECONDS = ENV.pinning_seconds
# A replica whose replay lag exceeds this is left out until it catches up.
MAX_REPLICA_LAG_SECONDS = ENV.max_replica_lag_seconds
# A replica that failed to connect is skipped this long (shared through Redis).
REPLICA_COOLDOWN_SECONDS = ENV.replica_cooldown_seconds
# Reads reaching the primary during safe, unpinned requests: "off", "warn" or "raise".
DATABASE_PRIMARY_READ_GUARD = ENV.primary_read_guard
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

MONGODB = {
    "URL": ENV.mongodb_url,
    "NAME": ENV.mongodb_database,
    # Fail fast when MongoDB is unreachable instead of pymongo's 30-second default.
    "SERVER_SELECTION_TIMEOUT_MS": 2000,
    "CONNECT_TIMEOUT_MS": 2000,
    # Bounds every operation (pymongo's client-side operation timeout, timeoutMS).
    "OPERATION_TIMEOUT_MS": 3000,
}

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": ENV.redis_url,
        # Per deployment, so several deployments can share one Redis; VERSION retires every key.
        "KEY_PREFIX": ENV.cache_key_prefix,
        "VERSION": 1,
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            # msgpack, never pickle: a value read from a shared Redis must not be able to run code,
            # and cached bodies are bytes, which msgpack keeps as they are.
            "SERIALIZER": "django_redis.serializers.msgpack.MSGPackSerializer",
            "PARSER_CLASS": "redis._parsers.hiredis._HiredisParser",
            # A slow or dead Redis costs a request at most this long per call.
            "SOCKET_CONNECT_TIMEOUT": 0.1,
            "SOCKET_TIMEOUT": 0.1,
            # redis-py allows 100 per pool; a threaded worker may hold one per thread.
            "CONNECTION_POOL_KWARGS": {"max_connections": 512},
        },
    }
}

# Response cache: seconds an entry is fresh (soft TTL), per kind; then it is served at most
# while one request rebuilds it. Entries stay this much longer for stale-if-error.
CACHE_TTLS = {"listing": ENV.cache_listing_ttl, "product": ENV.cache_product_ttl}
CACHE_STALE_SECONDS = 600
# A rebuild holds a lock this long at most; others wait this long for it before building.
CACHE_LOCK_SECONDS = 5.0
CACHE_LOCK_WAIT_SECONDS = 3.0
# After this many Redis failures in a row, skip the cache for this many seconds.
CACHE_BREAKER_FAILURES = 3
CACHE_BREAKER_SECONDS = 5.0

# Readiness checks: each dependency gets this long, checked concurrently.
READINESS_TIMEOUT_SECONDS = 1.0

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "catalog_service.api.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "catalog_service.api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Catalog API",
    "DESCRIPTION": "Categories and products of the shop's catalog, read-only.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI served from this deployment (drf-spectacular-sidecar), not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # What Django's path converters accept, so generated clients (and schemathesis) know it.
    "PATH_CONVERTER_OVERRIDES": {
        "slug": {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"},
        "int": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1},  # bigint ids
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
