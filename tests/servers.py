"""The service under ASGI in a real server process (gunicorn with uvicorn workers) on the test
databases; ``tests.conftest``'s ``gunicorn`` fixture starts the WSGI one."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import urllib.request
from collections.abc import Iterator

from tests.conftest import ROOT, free_port, service_env, wait_for

ASGI = ("config/gunicorn_asgi.conf.py", "catalog_service.asgi:application")


@contextlib.contextmanager
def serve(interface: tuple[str, str] = ASGI, workers: int = 1, **env: str) -> Iterator[str]:
    """Run gunicorn with ``interface``'s configuration and app; yield its base URL."""
    port = free_port()
    config, app = interface
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", config, app],
        cwd=ROOT, env=service_env(GUNICORN_BIND=f"127.0.0.1:{port}", WEB_CONCURRENCY=str(workers), **env),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
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
