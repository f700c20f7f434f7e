"""Counts MongoDB commands through pymongo's command monitoring (tests, benchmark reports)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pymongo import monitoring

# Handshakes and topology checks are not the application's round trips.
IGNORED_COMMANDS = frozenset(
    {"hello", "ismaster", "isMaster", "ping", "buildinfo", "buildInfo", "endSessions"}
)


class CommandRecorder(monitoring.CommandListener):
    """Appends every started application command to each active recording."""

    def __init__(self) -> None:
        self._recordings: list[list[dict[str, Any]]] = []
        self._lock = threading.Lock()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if not self._recordings or event.command_name in IGNORED_COMMANDS:
            return
        entry = {"name": event.command_name, "command": event.command}
        with self._lock:
            for recording in self._recordings:
                recording.append(entry)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    @contextmanager
    def record(self) -> Iterator[list[dict[str, Any]]]:
        """Collect the commands sent while the block runs, from any thread."""
        recording: list[dict[str, Any]] = []
        with self._lock:
            self._recordings.append(recording)
        try:
            yield recording
        finally:
            with self._lock:
                self._recordings.remove(recording)


recorder = CommandRecorder()
