"""gunicorn settings for the WSGI service: ``gunicorn -c config/gunicorn.conf.py catalog_service.wsgi``.

Every value can be set from the environment (docs/operations.md, "Serving with gunicorn", lists them).
Signals: HUP replaces the workers gracefully (new code unless preloaded), TERM stops after
in-flight requests finish (at most ``graceful_timeout``), USR2 then QUIT of the old master
upgrades without dropping a connection.
"""

import os
from typing import Any

from catalog_service.environment import parse_bool, parse_choice, parse_count

WORKER_CLASSES = ("sync", "gthread")


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


def cpu_count() -> int:
    """Return the CPUs this process may run on (its affinity mask, which containers and
    taskset narrow), not the machine's."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


bind = _env("GUNICORN_BIND", "127.0.0.1:8000")
# gthread by measurement (docs/operations.md, "Serving with gunicorn"): its threads overlap the listing's
# waits on Postgres and MongoDB and keep client connections alive; in one bench-quick each, the
# uncached 24-item listing served 412 req/s against sync's 222, cached pages the same (664, 684).
# sync: one request per process, one connection per alias.
worker_class = parse_choice("GUNICORN_WORKER_CLASS", _env("GUNICORN_WORKER_CLASS", "gthread"), WORKER_CLASSES)
threads = parse_count(
    "GUNICORN_THREADS", _env("GUNICORN_THREADS", "4" if worker_class == "gthread" else "1"), minimum=1
)
# (2 x CPUs) + 1, gunicorn's rule of thumb: a worker waiting on a server leaves its CPU to another.
workers = parse_count("WEB_CONCURRENCY", _env("WEB_CONCURRENCY", str(cpu_count() * 2 + 1)), minimum=1)
# SO_REUSEPORT: several gunicorn masters (or a restarted one) may bind the same port.
reuse_port = parse_bool("GUNICORN_REUSE_PORT", _env("GUNICORN_REUSE_PORT", "false"))
preload_app = parse_bool("GUNICORN_PRELOAD", _env("GUNICORN_PRELOAD", "false"))

# A worker silent this long is killed and replaced; every server call of a request is bounded
# far below it (database connect 2 s, MongoDB 3 s, Redis 0.1 s), so only a stuck worker hits it.
timeout = parse_count("GUNICORN_TIMEOUT", _env("GUNICORN_TIMEOUT", "30"))
# On HUP or TERM, workers finish their requests for at most this long.
graceful_timeout = parse_count("GUNICORN_GRACEFUL_TIMEOUT", _env("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# gthread only (a sync worker closes the connection after each response). Behind a balancer that
# keeps connections open, set it above the balancer's idle timeout, or the balancer may send a
# request down a connection gunicorn is closing.
keepalive = parse_count("GUNICORN_KEEPALIVE", _env("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then so a slow leak cannot grow without bound; jitter staggers restarts.
max_requests = parse_count("GUNICORN_MAX_REQUESTS", _env("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = parse_count("GUNICORN_MAX_REQUESTS_JITTER", _env("GUNICORN_MAX_REQUESTS_JITTER", "500"))

# No peer may rewrite the WSGI environment: gunicorn's default trusts 127.0.0.1 to set
# SCRIPT_NAME and PATH_INFO by header (and the scheme, and under uvicorn the client address), so
# one request from loopback with a SCRIPT_NAME header put its prefix into links that were then
# cached for every client. Django reads the forwarded headers it needs itself
# (DJANGO_TRUSTED_PROXY_COUNT, DJANGO_SECURE_PROXY_SSL_HEADER). A deployment mounted under a
# prefix behind a proxy lists that proxy's addresses here and the headers it sets.
# (Comma-separated strings, as gunicorn takes them; empty trusts no one.)
forwarded_allow_ips = _env("GUNICORN_FORWARDED_ALLOW_IPS", "")
forwarder_headers = _env("GUNICORN_FORWARDER_HEADERS", "")

# JSON lines: one object per request on stdout (with the request id), gunicorn's own on stderr.
logger_class = "catalog_service.observability.gunicorn_logger.JsonLogger"
accesslog = _env("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = _env("GUNICORN_LOG_LEVEL", "info")


def when_ready(server: Any) -> None:
    """Say once, from the master, what serves: the libraries' own start-up lines would come
    once per worker (django-axes' is turned off for that reason)."""
    line = "catalog service ready on %s: %d %s worker(s), %d thread(s) each"
    server.log.info(line, bind, workers, worker_class, threads)


def pre_fork(server: object, worker: object) -> None:
    """In the master, before each fork: close what a preloaded application may have opened.

    A worker must never share a socket with the master or a sibling: two processes writing to
    one Postgres or MongoDB connection corrupt each other's conversation, and closing it in a
    child (libpq's terminate message) would end the session for the others. Closing it here, in
    its owner, before the fork is the one safe place. Redis needs nothing: redis-py's pool
    notices the new pid in the child and starts afresh.
    """
    # Imported in the hook: the config file is read before the application can be imported.
    from catalog_service.forking import release_connections

    release_connections()
