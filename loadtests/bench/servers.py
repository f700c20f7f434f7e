"""The run's servers: gunicorn for each interface (sync workers for WSGI, uvicorn workers for
ASGI) and the outbox relay, each in a process group of its own so that stopping it stops its
workers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from loadtests.bench.paths import PYTHON, ROOT

# interface -> (gunicorn configuration, application)
SERVERS = {
    # The service's application, with the ceiling answered before Django (loadtests/wsgi.py).
    "wsgi": ("config/gunicorn.conf.py", "loadtests.wsgi:application"),
    "asgi": ("config/gunicorn_asgi.conf.py", "catalog_service.asgi:application"),
}


def free_port() -> int:
    """Return a loopback port nothing listens on (the kernel's pick)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_url(port: int) -> str:
    return f"http://127.0.0.1:{port}"


def port_of(base: str) -> int:
    """Return the port of a base URL such as ``http://127.0.0.1:8000``."""
    return int(base.rsplit(":", 1)[1])


def gunicorn_command(interface: str) -> list[str]:
    """Return the command line of gunicorn serving ``interface``."""
    config, app = SERVERS[interface]
    return [PYTHON, "-m", "gunicorn", "-c", config, "--access-logfile", "/dev/null", app]


def start_server(env: dict[str, str], out: Path, interface: str, port: int) -> subprocess.Popen:
    """Start gunicorn for ``interface`` on ``port`` and wait until it answers."""
    logfile = (out / f"gunicorn-{interface}.log").open("w")
    gunicorn = subprocess.Popen(
        gunicorn_command(interface),
        cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, stdout=logfile,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = base_url(port)
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{base}/healthz", timeout=1).status == 200:
                return gunicorn
        except OSError:
            pass
        if gunicorn.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"gunicorn ({interface}) did not start; see {logfile.name}")
        time.sleep(0.1)


def start_relay(env: dict[str, str], out: Path) -> subprocess.Popen:
    """Start the outbox relay (staff edits in the mix reach MongoDB through it)."""
    logfile = (out / "relay.log").open("w")
    return subprocess.Popen([PYTHON, "manage.py", "relay_outbox"], cwd=ROOT, env=env, stdout=logfile,
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def stop(processes: list[subprocess.Popen]) -> None:
    """Stop every process group (SIGTERM, then SIGKILL after 15 s)."""
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
