"""Fault injection on the real stack: helpers shared by the suite (``-m faults``)."""

from __future__ import annotations

import itertools
import os
import select
import socket
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.db import connections

from tests.catalog.api.conftest import shop  # noqa: F401  (the API tests' catalog, as a fixture here)
from tests.conftest import ROOT, queries_by_alias, service_env, stack


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


class Freezer:
    """``freeze(name)`` stops a server's processes (``bin/stack freeze``: its sockets stay open
    and it answers nothing), ``thaw(name)`` resumes them; the fixture thaws whatever is left."""

    def __init__(self) -> None:
        self.frozen: list[str] = []

    def freeze(self, name: str) -> None:
        self.frozen.append(name)  # first: a freeze that fails half-way is thawed all the same
        stack("freeze", name)

    def thaw(self, name: str) -> None:
        stack("thaw", name)
        self.frozen.remove(name)


@pytest.fixture
def freezer() -> Iterator[Freezer]:
    """A ``Freezer`` for the test; every server it froze is thawed after it, whatever happened."""
    if os.environ.get("DATABASE_URL") and not (ROOT / "var" / "pg" / "primary").exists():
        pytest.skip("the environment names a stack that bin/stack does not manage")
    freezer = Freezer()
    try:
        yield freezer
    finally:
        for name in reversed(freezer.frozen):
            stack("thaw", name, check=False)
        if freezer.frozen:
            connections.close_all()  # sessions that waited on a frozen server were given up


@dataclass(frozen=True)
class Answer:
    """One request of a ``ReadLoad``: what it asked, what it got, how long it took, where its
    SQL went."""

    label: str
    status: int
    seconds: float
    headers: dict[str, str]
    served_by: frozenset[str]


class ReadLoad:
    """A steady read load: ``threads`` threads, each with its own client (``make_client()``),
    sending ``request(client, n)`` (n unique across threads; it returns a label and the
    response) until the block ends, recording every answer. An exception (a 5xx that the test
    client raises, a client error) is recorded in ``errors``. Bounded in time: the block's end
    stops the threads, which are joined with a deadline."""

    def __init__(
        self, make_client: Callable[[], Any], request: Callable[[Any, int], tuple[str, Any]], threads: int = 4
    ) -> None:
        self.answers: list[Answer] = []
        self.errors: list[str] = []
        self._make_client, self._request = make_client, request
        self._numbers = itertools.count()
        self._done = threading.Event()
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def __enter__(self) -> ReadLoad:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        for thread in self._threads:
            thread.join(30)
        assert not any(thread.is_alive() for thread in self._threads), "a request outlived the load"

    def _run(self) -> None:
        client = self._make_client()
        try:
            while not self._done.is_set():
                start = time.monotonic()
                try:
                    with queries_by_alias() as queries:
                        label, response = self._request(client, next(self._numbers))
                except Exception:
                    self.errors.append(f"after {time.monotonic() - start:.2f}s: {traceback.format_exc()}")
                    continue
                seconds, headers = time.monotonic() - start, dict(response.items())
                self.answers.append(Answer(label, response.status_code, seconds, headers, frozenset(queries)))
        finally:
            connections.close_all()

    def mark(self) -> int:
        """Return how many answers have come so far (for ``since``)."""
        return len(self.answers)

    def since(self, mark: int) -> list[Answer]:
        """Return the answers after ``mark``."""
        return self.answers[mark:]

    def wait(self, count: int, *, seconds: float = 0.0, timeout: float = 30.0) -> list[Answer]:
        """Wait until ``count`` more answers came and ``seconds`` passed; return those answers."""
        mark, start = self.mark(), time.monotonic()
        deadline = start + timeout
        while len(self.answers) - mark < count or time.monotonic() - start < seconds:
            if self.errors:
                raise AssertionError(self.errors[0])
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(self.answers) - mark} of {count} answers within {timeout}s")
            time.sleep(0.05)
        return self.since(mark)

    def wait_until(self, condition: Callable[[Answer], bool], *, timeout: float = 30.0) -> Answer:
        """Wait for an answer (from now on) that meets ``condition``; return it."""
        mark, deadline = self.mark(), time.monotonic() + timeout
        while True:
            for answer in self.since(mark):
                if condition(answer):
                    return answer
            if self.errors:
                raise AssertionError(self.errors[0])
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer met {condition} within {timeout}s")
            time.sleep(0.05)
