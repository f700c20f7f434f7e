"""Counts MongoDB commands through pymongo's command monitoring (tests, benchmark reports)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Generic, TypeVar

from pymongo import monitoring

T = TypeVar("T")

# Handshakes and topology checks are not the application's round trips.
IGNORED_COMMANDS = frozenset(
    {"hello", "ismaster", "isMaster", "ping", "buildinfo", "buildInfo", "endSessions"}
)


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
            with self._lock:
                self._recordings.remove(recording)


class CommandRecorder(Recordings[dict[str, Any]], monitoring.CommandListener):
    """Records every started application command."""

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in IGNORED_COMMANDS:
            self.add({"name": event.command_name, "command": event.command})

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


recorder = CommandRecorder()
