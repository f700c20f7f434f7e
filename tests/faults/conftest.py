"""Fault injection on the real stack: helpers shared by the suite (``-m faults``)."""

from __future__ import annotations

import select
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.catalog.api.conftest import shop  # noqa: F401  (the API tests' catalog, as a fixture here)
from tests.conftest import ROOT, service_env


@dataclass
class BlackHole:
    """A loopback TCP listener that accepts connections and never sends a byte."""

    port: int
    accepted: list[socket.socket] = field(default_factory=list)


@pytest.fixture
def black_hole() -> Iterator[BlackHole]:
    """A server that accepts connections and never answers, as a hung MongoDB or a network
    partition after the handshake looks to a client; closed after the test."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.1)
    hole = BlackHole(listener.getsockname()[1])
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            hole.accepted.append(conn)  # held open, never read from or written to

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield hole
    stop.set()
    thread.join(5)
    listener.close()
    for conn in hole.accepted:
        conn.close()


def timed(call, *args, **kwargs) -> tuple[object, float]:
    """Return ``call(*args, **kwargs)`` and the seconds it took."""
    start = time.monotonic()
    result = call(*args, **kwargs)
    return result, time.monotonic() - start


def manage(*args: str, **env: str) -> subprocess.Popen:
    """Start ``python manage.py ARGS`` on the test databases (stdin and stdout piped, text)."""
    return subprocess.Popen(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=service_env(**env),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def read_line(process: subprocess.Popen, timeout: float = 30.0) -> str:
    """Return the next line ``process`` prints, waiting at most ``timeout`` seconds."""
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        raise AssertionError(f"no output within {timeout}s")
    line = process.stdout.readline()
    if not line:
        raise AssertionError(f"exited with {process.wait()}: {process.stderr.read()[-2000:]}")
    return line.strip()
