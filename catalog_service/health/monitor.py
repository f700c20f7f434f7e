"""The readiness of this process's backing servers: one result shared by all its threads.

A result is served while it is less than ``MAX_AGE_SECONDS`` old (counted from when its checks
started). Past that, the first request runs the checks again while concurrent ones wait for
that same run, so a burst of /readyz calls costs one check of each server per process and
second. Each check runs in a thread of its own, bounded by ``READINESS_TIMEOUT_SECONDS``: a
server that does not answer in time is down for this result, and while its check is still
stuck (a frozen server holds the socket) the next results say down without starting another
one, so a frozen server costs at most one thread and one connection per process.

Errors are logged, with their text, when a server's state changes; results carry only the
exception's type, since the text names hosts and ports.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from catalog_service.health.checks import Check, server_checks

log = logging.getLogger("catalog_service.health")

MAX_AGE_SECONDS = 1.0
UP, DOWN, LAGGING = "up", "down", "lagging"
# Without these the service cannot answer; replicas fail over to the primary and the cache
# degrades to the databases, so their loss is reported but keeps the instance in rotation.
CRITICAL = frozenset({"primary", "mongodb"})


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: str  # UP, DOWN, or for a replica LAGGING
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, **self.detail}


@dataclass(frozen=True)
class Readiness:
    """One run of every check; ``started`` is on the ``time.monotonic`` clock."""

    results: tuple[CheckResult, ...]
    started: float

    @property
    def down(self) -> list[str]:
        return sorted(r.name for r in self.results if r.status == DOWN)

    @property
    def lagging(self) -> list[str]:
        return sorted(r.name for r in self.results if r.status == LAGGING)

    @property
    def available(self) -> bool:
        """False when a server the service cannot answer without is down."""
        return not set(self.down) & CRITICAL

    @property
    def status(self) -> str:
        if not self.available:
            return "unavailable"
        return "degraded" if self.down or self.lagging else "ok"

    def details(self) -> dict[str, Any]:
        """The detailed body: each server's state and details."""
        return {
            "status": self.status,
            "down": self.down,
            "lagging": self.lagging,
            "age_ms": round((time.monotonic() - self.started) * 1000, 1),
            "checks": {r.name: r.as_dict() for r in self.results},
        }


class ReadinessMonitor:
    """This process's shared readiness result (module-level ``readiness``); ``checks`` returns
    name -> check, called once per process (and after ``forget``)."""

    def __init__(self, checks: Callable[[], dict[str, Check]] = server_checks) -> None:
        self._make_checks = checks
        self._reset()

    def current(self) -> Readiness:
        """Return a result less than ``MAX_AGE_SECONDS`` old, running the checks when there is none."""
        if self._pid != os.getpid():  # forked: the parent's threads, lock and sockets are not ours
            self._reset()
        with self._lock:
            latest = self._latest
            if latest is not None and time.monotonic() - latest.started < MAX_AGE_SECONDS:
                return latest
            running = self._refreshing
            leader = running is None
            if leader:
                running = self._refreshing = threading.Event()
        if not leader:
            # The leader's run is bounded by the timeout; if it still has no result by then,
            # this request runs none of its own: the servers are as good as not answering.
            running.wait(settings.READINESS_TIMEOUT_SECONDS + 1.0)
            latest = self._latest
            return latest if latest is not None else self._unanswered()
        try:
            result = self._run()
            with self._lock:
                self._latest = result
            return result
        finally:
            with self._lock:
                self._refreshing = None
            running.set()

    def forget(self) -> None:
        """Drop the result and the kept connections (tests; a check still running closes its
        connection when it ends)."""
        with self._lock:
            checks, running = self._checks, self._running
            self._reset()
        for name, check in (checks or {}).items():
            close = getattr(check, "close", None)
            if close is None:
                continue
            future = running.get(name)
            if future is not None and not future.done():
                future.add_done_callback(lambda _, close=close: close())
            else:
                close()

    # -- internals ----------------------------------------------------------------------

    def _reset(self) -> None:
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._latest: Readiness | None = None
        self._refreshing: threading.Event | None = None
        self._checks: dict[str, Check] | None = None
        self._running: dict[str, Future[dict[str, Any]]] = {}
        self._states: dict[str, str] = {}

    def _run(self) -> Readiness:
        timeout = settings.READINESS_TIMEOUT_SECONDS
        with self._lock:
            if self._checks is None:
                self._checks = self._make_checks()
            checks, running = self._checks, self._running
        started = time.monotonic()
        stuck = {name for name, future in running.items() if not future.done()}
        for name, check in checks.items():
            if name not in stuck:
                running[name] = _start(name, check, timeout)
        wait([running[name] for name in checks if name not in stuck], timeout=timeout)
        results = []
        for name in checks:
            future = running[name]
            if name in stuck or not future.done():
                results.append(self._down(name, f"no answer within {timeout:g}s"))
                continue
            try:
                detail = dict(future.result())
            except Exception as exc:  # any failure of a server means "down"; the text goes to the log
                results.append(self._down(name, f"{type(exc).__name__}: {exc}".strip(), type(exc).__name__))
            else:
                results.append(self._result(CheckResult(name, detail.pop("status", UP), detail)))
        return Readiness(tuple(results), started)

    def _down(self, name: str, reason: str, shown: str | None = None) -> CheckResult:
        return self._result(CheckResult(name, DOWN, {"error": shown or reason}), reason)

    def _result(self, result: CheckResult, reason: str = "") -> CheckResult:
        """Log ``result`` when its server's state changed since the previous run."""
        previous = self._states.get(result.name, UP)
        self._states[result.name] = result.status
        if previous != result.status:
            level = logging.INFO if result.status == UP else logging.WARNING
            fields = {"event": "readiness", "server": result.name, "state": result.status}
            fields["previous"] = previous
            log.log(level, "readiness: %s is %s %s", result.name, result.status, reason, extra=fields)
        return result

    def _unanswered(self) -> Readiness:
        timeout = settings.READINESS_TIMEOUT_SECONDS
        error = {"error": f"no answer within {timeout:g}s"}
        names = list(self._checks or {"primary": None, "mongodb": None})
        return Readiness(tuple(CheckResult(name, DOWN, error) for name in names), time.monotonic())


def _start(name: str, check: Check, timeout: float) -> Future[dict[str, Any]]:
    """Run ``check`` in a thread of its own, so no check waits for another server's.

    A daemon thread, not an executor's: an executor's threads are joined when the process
    exits, and a check stuck on a frozen server would keep a recycled worker from exiting.
    """
    future: Future[dict[str, Any]] = Future()

    def run() -> None:
        try:
            future.set_result(check(timeout))
        except BaseException as exc:  # handed to the waiting request, which reports it as down
            future.set_exception(exc)

    threading.Thread(target=run, name=f"readyz-{name}", daemon=True).start()
    return future


readiness = ReadinessMonitor()
