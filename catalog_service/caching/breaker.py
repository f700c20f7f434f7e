"""A circuit breaker around Redis: after repeated failures, stop trying for a while."""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings

log = logging.getLogger("catalog_service.caching")


class CircuitBreaker:
    """Closed: calls go through. After ``CACHE_BREAKER_FAILURES`` failures in a row it opens for
    ``CACHE_BREAKER_SECONDS``: calls are skipped. Then one call is let through (half-open);
    success closes it. Each change of state is logged once."""

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
