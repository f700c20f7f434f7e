"""Recordings of what the service did (MongoDB commands, asyncio SQL statements), for counting.

Generic and dependency-free, so the lowest layers (``db``) and the documents package share it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class Recordings(Generic[T]):
    """Appends entries to every recording active at the time, from any thread (tests and the
    benchmark's round-trip counts open recordings; nothing is kept otherwise)."""

    def __init__(self) -> None:
        self._recordings: list[list[T]] = []
        self._lock = threading.Lock()

    def add(self, entry: T) -> None:
        if self._recordings:
            with self._lock:
                for recording in self._recordings:
                    recording.append(entry)

    @contextmanager
    def record(self) -> Iterator[list[T]]:
        """Collect the entries added while the block runs."""
        recording: list[T] = []
        with self._lock:
            self._recordings.append(recording)
        try:
            yield recording
        finally:
            with self._lock:  # by identity: two recordings with equal entries are still two
                self._recordings = [r for r in self._recordings if r is not recording]
