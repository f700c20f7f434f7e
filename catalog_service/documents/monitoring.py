"""Counts MongoDB commands through pymongo's command monitoring (tests, benchmark reports)."""

from __future__ import annotations

from typing import Any

from pymongo import monitoring

from catalog_service.observability.recordings import Recordings

# Handshakes and topology checks are not the application's round trips.
IGNORED_COMMANDS = frozenset(
    {"hello", "ismaster", "isMaster", "ping", "buildinfo", "buildInfo", "endSessions"}
)


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
