"""A circuit breaker around Redis: after repeated failures or slow replies, stop trying for a while."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

log = logging.getLogger("catalog_service.caching")


class SlowReply(Exception):
    """A reply that came, but after the slow bound: counted as a failure."""


class CircuitBreaker:
    """Closed: calls go through. After ``CACHE_BREAKER_FAILURES`` failures in a row it opens for
    ``CACHE_BREAKER_SECONDS``: calls are skipped. Then one call is let through (half-open);
    success closes it. A reply slower than the caller's slow bound is a failure (``answered``),
    so a Redis that answers late is skipped like one that does not answer. Each change of state
    is logged once."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._failures = 0
        self._open_until = 0.0
        self._open = False

    def allow(self) -> bool:
        """Return True when a call may be tried now."""
        with self._lock:
            if not self._open:
                return True
            if time.monotonic() >= self._open_until:
                self._open_until = time.monotonic() + settings.CACHE_BREAKER_SECONDS  # one probe per period
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self._failures = 0
            if self._open:
                self._open = False
                log.info(
                    "%s answers again: caching resumed", self.name,
                    extra={"event": "circuit_closed", "circuit": self.name},
                )  # fmt: skip

    def answered(self, seconds: float, slow_after: float) -> None:
        """Record a call that returned after ``seconds``: a success, or a failure when it took
        longer than ``slow_after``."""
        if seconds > slow_after:
            late = f"a reply took {seconds * 1000:.0f} ms (slow after {slow_after * 1000:.0f} ms)"
            self.failure(SlowReply(late))
        else:
            self.success()

    def failure(self, error: BaseException) -> None:
        with self._lock:
            self._failures += 1
            if not self._open and self._failures >= settings.CACHE_BREAKER_FAILURES:
                self._open = True
                self._open_until = time.monotonic() + settings.CACHE_BREAKER_SECONDS
                seconds = settings.CACHE_BREAKER_SECONDS
                reason = f"{type(error).__name__}: {error}"
                log.warning(
                    "%s is failing (%s): serving without the cache for %ss", self.name, reason, seconds,
                    extra={"event": "circuit_opened", "circuit": self.name, "error": reason},
                )  # fmt: skip

    @property
    def is_open(self) -> bool:
        return self._open

    def reset(self) -> None:
        with self._lock:
            self._failures, self._open, self._open_until = 0, False, 0.0


redis_breaker = CircuitBreaker("redis")
