"""The environment of every process of a run: its own databases, production settings."""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit


def with_database(url: str, name: str) -> str:
    """Return ``url`` naming the database ``name`` instead of its own."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench_environment(database: str, port: int, base: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Return ``base`` (the stack's environment) pointed at the run's databases, with production
    settings and the runner's overrides."""
    env = dict(base)
    if not env.get("DATABASE_URL"):
        raise SystemExit("no stack: run through bin/with-stack (make bench does)")
    env["DATABASE_URL"] = with_database(env["DATABASE_URL"], database)
    replicas = [u for u in env.get("DATABASE_REPLICA_URLS", "").split(",") if u]
    env["DATABASE_REPLICA_URLS"] = ",".join(with_database(u, database) for u in replicas)
    env.update({
        "MONGODB_DATABASE": database,
        "CACHE_KEY_PREFIX": database,
        "DJANGO_SETTINGS_MODULE": "loadtests.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY") or "bench-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_PRIMARY_READ_GUARD": "off",
        # Plain HTTP on loopback, and many requests from one address: the benchmark measures the
        # listing, not the HTTPS redirect or the per-client rate limit.
        "DJANGO_HTTPS": "false",
        "API_THROTTLE_RATE": "",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": env.get("BENCH_WORKERS", "2"),
        # No recycling: at these rates a worker reached max_requests every ~12 s, and a restart
        # (fork, imports, cold connections) inside a 6 s window measured itself, not the variant;
        # the memory figure then also comes from workers that served the whole run.
        "GUNICORN_MAX_REQUESTS": "0",
        # The cached variant measures hits. With the 60 s default, entries built by one round's
        # warm-up went stale during the next round, and their rebuilds (an uncached listing
        # each, 300 categories at 100k) landed inside the measured window. Invalidation is exact
        # (generations), so the TTL is only a safety net; rebuild cost is the uncached variant's.
        "CACHE_LISTING_TTL": "3600",
        "GUNICORN_LOG_LEVEL": "warning",
        "DJANGO_SUPERUSER_USERNAME": "bench-staff",
        "DJANGO_SUPERUSER_PASSWORD": "bench-staff-password",
        "LOCUST_STAFF_USERNAME": "bench-staff",
        "LOCUST_STAFF_PASSWORD": "bench-staff-password",
    })  # fmt: skip
    return env
