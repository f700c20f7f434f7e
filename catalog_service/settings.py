"""Django settings. Every value that varies between deployments comes from the
environment: ``ENV``, read and validated once by ``catalog_service.environment``, which declares
each variable (docs/configuration.md lists them); there is no separate production settings
module."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from catalog_service import environment
from catalog_service.db.config import build_databases
from catalog_service.observability.logs import TEXT_FORMAT, log_format
from catalog_service.security.headers import add_static_file_headers

ENV = environment.load()
BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = ENV.secret_key
# Former keys, still accepted by Django's signing (keyset cursors, cookies) while rotated out.
SECRET_KEY_FALLBACKS = ENV.secret_key_fallbacks
DEBUG = ENV.debug
ALLOWED_HOSTS = ENV.allowed_hosts

# HTTPS (DJANGO_HTTPS, on unless DJANGO_DEBUG): redirect plain HTTP, mark cookies Secure, send
# HSTS. Behind a TLS-terminating proxy, DJANGO_SECURE_PROXY_SSL_HEADER names the header it sets
# to "https" (only when the proxy always sets or strips it: clients must not be able to).
SECURE_SSL_REDIRECT = ENV.ssl_redirect
# Probes from the load balancer or orchestrator speak plain HTTP to the instance.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_PROXY_SSL_HEADER = ENV.proxy_ssl_header
SESSION_COOKIE_SECURE = ENV.https
CSRF_COOKIE_SECURE = ENV.https
SECURE_HSTS_SECONDS = ENV.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = ENV.hsts_include_subdomains
SECURE_HSTS_PRELOAD = ENV.hsts_preload
# Security headers on every response (SecurityMiddleware, XFrameOptionsMiddleware).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Request size limits: the API reads no bodies and Admin's forms are small; a larger body,
# or more fields, is refused with 400 before it is parsed. No view takes file uploads.
DATA_UPLOAD_MAX_MEMORY_SIZE = ENV.data_upload_max_memory_size
DATA_UPLOAD_MAX_NUMBER_FIELDS = ENV.data_upload_max_number_fields
DATA_UPLOAD_MAX_NUMBER_FILES = 10

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
    "axes",
    "catalog_service",
    "categories",
    "catalog",
]

MIDDLEWARE = [
    # Outermost: whatever error any layer answers leaves as JSON with a message.
    "catalog_service.api.errors.JsonErrorsMiddleware",
    # A Content-Security-Policy on every HTML page (Admin, /api/docs/, the browsable API).
    "catalog_service.security.csp.ContentSecurityPolicyMiddleware",
    # First, so every log line of the request, the other middleware's included, carries its id.
    "catalog_service.observability.request_id.RequestIdMiddleware",
    # Outermost after that, so that the session's save at the end of a request counts as its write.
    "catalog_service.db.middleware.PrimaryPinningMiddleware",
    # ASGI requests resolve against ASGI_URLCONF (the async listing and product detail).
    "catalog_service.asgi_routing.AsgiURLConfMiddleware",
    "catalog_service.django_middleware.SecurityMiddleware",
    # ETag on every GET (a hash of the body) and 304 for a matching If-None-Match.
    "catalog_service.django_middleware.ConditionalGetMiddleware",
    # WhiteNoise, able to run in an async chain (its own middleware is sync-only).
    "catalog_service.static_files.StaticFilesMiddleware",
    # Django's middleware without thread hops under ASGI (catalog_service.django_middleware):
    # the session, CSRF, user and messages only for browser paths, the rest inline.
    "catalog_service.django_middleware.SessionMiddleware",
    "catalog_service.django_middleware.CommonMiddleware",
    "catalog_service.django_middleware.CsrfViewMiddleware",
    "catalog_service.django_middleware.AuthenticationMiddleware",
    "catalog_service.django_middleware.MessageMiddleware",
    "catalog_service.django_middleware.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into its 429 response.
    "axes.middleware.AxesMiddleware",
]

# Paths served to machines: the API (its docs too) and the health probes. They skip the
# session, CSRF, user and messages middleware (catalog_service.django_middleware).
API_PATH_PREFIXES = ("/api/", "/healthz", "/readyz")
# Django's deploy checks for those middleware want its exact paths; the subclasses above are
# checked by catalog_service.security.checks instead.
SILENCED_SYSTEM_CHECKS = ["security.W001", "security.W002", "security.W003"]

ROOT_URLCONF = "catalog_service.urls"
CSRF_FAILURE_VIEW = "catalog_service.api.errors.csrf_failure"
ASGI_URLCONF = "catalog_service.urls_asgi"
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
# Web requests' sessions: the server ends a statement after this many seconds (0: never), and
# the client gives up on a server that has not answered half a second later (db/bounded.py).
DATABASE_STATEMENT_TIMEOUT = ENV.database_statement_timeout
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Migrations that break the zero-downtime rules on purpose (catalog_service/migration_safety),
# "app_label.migration_name": why running it under the previous release is safe, e.g. the
# contract step that drops a column the release before already stopped using.
MIGRATION_SAFETY_EXEMPT: dict[str, str] = {}

MONGODB = {
    "URL": ENV.mongodb_url,
    "NAME": ENV.mongodb_database,
    # Fail fast when MongoDB is unreachable instead of pymongo's 30-second default.
    "SERVER_SELECTION_TIMEOUT_MS": 2000,
    "CONNECT_TIMEOUT_MS": 2000,
    # Bounds every operation (pymongo's client-side operation timeout, timeoutMS), server
    # selection and a server that accepts and never answers included: a request that needs
    # MongoDB answers (503) within 3 s.
    "OPERATION_TIMEOUT_MS": 2000,
}
# Validation refuses a document larger than this (catalog_service/documents/limits.py).
DOCUMENT_MAX_BYTES = ENV.document_max_bytes
# The relay dead-letters a record MongoDB rejected this many times, and applies the rest.
OUTBOX_DEAD_LETTER_AFTER = ENV.outbox_dead_letter_after

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
# Each process keeps the listing entries it served lately, up to this many bytes, and serves
# them again without a round trip while Redis's invalidations say they are current
# (catalog_service.caching.near); 0 turns that off. Its tracking connection must have answered
# a PING this recently for the near cache to answer.
CACHE_NEAR_MAX_BYTES = ENV.cache_near_mb * 1024 * 1024
CACHE_NEAR_LIVENESS_SECONDS = 1.0
# A rebuild holds a lock this long at most; others wait this long for it before building.
CACHE_LOCK_SECONDS = 5.0
CACHE_LOCK_WAIT_SECONDS = 3.0
# The asyncio path's Redis timeout (connect and reply). On an event loop a reply waits for the
# loop as well as for Redis, and a wait blocks no other request, so it is longer than the sync
# client's 100 ms; short enough that a request meeting a frozen Redis still answers within a
# second from the databases (the breaker opens after a few failures).
CACHE_ASYNC_TIMEOUT_SECONDS = 0.25
# After this many Redis failures in a row, skip the cache for this many seconds. On the blocking
# client a reply that took more than this share of its socket timeout counts as a failure too
# (a Redis that is stuck, swapping or overloaded answers late before it stops answering). On
# the asyncio client a reply also waits for the event loop, so lateness says little about
# Redis: there the (shorter) timeout is the bound.
CACHE_BREAKER_FAILURES = 3
CACHE_BREAKER_SECONDS = 5.0
CACHE_BREAKER_SLOW_SHARE = 0.8

# Readiness checks: each dependency gets this long, checked concurrently.
READINESS_TIMEOUT_SECONDS = 1.0
# Who gets /readyz's detailed body (Authorization: Bearer <token>); empty: no one.
HEALTH_TOKEN = ENV.health_token

# The browsable API (HTML) only when asked for (API_BROWSABLE, on with DJANGO_DEBUG): read per
# request by the content negotiation, so production answers JSON whatever a client accepts.
API_BROWSABLE = ENV.api_browsable
# The origin every link of the API starts with; empty: the request's (catalog_service.api.origin).
PUBLIC_BASE_URL = ENV.public_base_url

REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": [
        "catalog_service.api.renderers.ORJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    # Both renderers stay listed, so DRF sends `Vary: Accept` on every response; the browsable
    # one is chosen only when API_BROWSABLE is on.
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "catalog_service.api.renderers.JsonUnlessBrowsable",
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "catalog_service.api.exceptions.exception_handler",
    # The public API authenticates no one: it is read-only and the same for everyone, and an
    # authenticator would look up the session of any request carrying a session cookie (or
    # hash the password of any Authorization: Basic) before throttling. Staff use Admin.
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Per client, counted in the shared Redis (catalog_service/api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["catalog_service.api.throttling.PublicRateThrottle"],
    # Proxies in front that append to X-Forwarded-For; the client is the address they saw.
    "NUM_PROXIES": ENV.trusted_proxy_count or None,
}

# Requests per client address, e.g. "600/min"; None: no throttling.
API_THROTTLE_RATE = ENV.api_throttle_rate
# With Redis unreachable: True lets requests through unthrottled (the API stays up, as the
# cache does), False refuses them with 503 and Retry-After (abuse protection over availability).
API_THROTTLE_FAIL_OPEN = ENV.api_throttle_fail_open

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

# Admin lives here (DJANGO_ADMIN_URL): moving it off /admin/ keeps it out of the way of scanners.
ADMIN_URL = ENV.admin_url

# django-axes checks every login (first backend) and counts failures in Postgres
# (the database handler): logins need Postgres anyway, so a Redis outage cannot open or block
# them. After AXES_FAILURE_LIMIT failures from one client IP, or at one username from anywhere,
# logins from that IP or to that account are refused (429) for AXES_COOLOFF_MINUTES, whatever the
# password. A good login forgives only its own account's failures (catalog_service.security.
# login_attempts): a valid account cannot clear the guesses made at another from its address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "catalog_service.security.login_attempts.LoginAttemptsHandler"
AXES_FAILURE_LIMIT = ENV.axes_failure_limit
AXES_COOLOFF_TIME = timedelta(minutes=ENV.axes_cooloff_minutes)
AXES_LOCKOUT_PARAMETERS = ["ip_address", "username"]
AXES_RESET_ON_SUCCESS = True
# The client's address as the API throttle sees it (DJANGO_TRUSTED_PROXY_COUNT proxies in front).
AXES_CLIENT_IP_CALLABLE = "catalog_service.security.client_ip.client_ip"
# Its "AXES: BEGIN" line came once per worker; gunicorn's master says once what runs.
AXES_VERBOSE = False

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
# Static files leave before the security middleware runs: they get its frame protection here.
WHITENOISE_ADD_HEADERS_FUNCTION = add_static_file_headers
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# One line per record on stderr, each with the id of the request it belongs to: JSON, or text
# when stderr is a terminal (LOG_FORMAT, catalog_service/observability).
LOG_LEVEL = ENV.log_level
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "catalog_service.observability.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "catalog_service.observability.logs.JsonFormatter"},
        "text": {"format": TEXT_FORMAT},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": log_format(ENV.log_format),
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
