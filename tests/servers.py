"""The service in a real server process on the test databases (gunicorn, WSGI or ASGI)."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

from django.conf import settings
from django.db import connections

from tests.conftest import ROOT, wait_for

WSGI = ("config/gunicorn.conf.py", "catalog_service.wsgi")
ASGI = ("config/gunicorn_asgi.conf.py", "catalog_service.asgi:application")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _url(alias: str) -> str:
    db = connections[alias].settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextlib.contextmanager
def gunicorn(interface: tuple[str, str] = WSGI, workers: int = 2, **env: str) -> Iterator[str]:
    """Run gunicorn with ``interface``'s configuration on the test databases; yield its base URL."""
    assert connections["default"].settings_dict["NAME"].startswith("test_")
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": _url("default"),
        "DATABASE_REPLICA_URLS": ",".join(_url(a) for a in connections if a.startswith("replica")),
        "MONGODB_DATABASE": settings.MONGODB["NAME"],
        "CACHE_KEY_PREFIX": settings.CACHES["default"]["KEY_PREFIX"],
        "DJANGO_SECRET_KEY": settings.SECRET_KEY,
        "DJANGO_DEBUG": "false",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(workers),
        **env,
    }
    config, app = interface
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", config, app],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {process.stderr.read().decode()[-2000:]}")
        try:
            return urllib.request.urlopen(f"{base}/healthz", timeout=1).status == 200
        except OSError:
            return False

    try:
        wait_for(up, timeout=30, interval=0.1)
        yield base
    finally:
        process.terminate()
        process.wait(10)
