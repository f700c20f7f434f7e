"""python manage.py relay_outbox [--once]: apply pending outbox records to MongoDB."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections

from catalog_service.documents.relay import apply_pending

log = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Apply pending document changes from the outbox to MongoDB (several relays may run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="apply what is due, then exit")
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls when idle")
        # Fault injection only (tests/faults): stop at this point of each batch, inside the
        # claiming transaction, until a line arrives on stdin, so a test can SIGKILL the relay there.
        parser.add_argument("--pause-at", choices=("claimed", "written"), help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if not options["once"]:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        total_applied = total_failed = total_dead = 0
        failing = False
        while not stop.is_set():
            close_old_connections()
            result = apply_pending(checkpoint=_pause_at(options["pause_at"]))
            total_applied += result.applied
            total_failed += result.failed
            total_dead += result.dead_lettered
            if bool(result.failed) != failing:  # log once per change of state
                failing = bool(result.failed)
                if failing:
                    errors = "; ".join(result.errors)[:500]
                    log.warning(
                        "outbox relay: MongoDB writes failing: %s", errors,
                        extra={"event": "relay_failing", "failed": result.failed, "error": errors},
                    )  # fmt: skip
                else:
                    log.info("outbox relay: MongoDB writes succeed again", extra={"event": "relay_recovered"})
            if options["once"]:
                if result.claimed == 0 or result.failed:
                    break
                continue
            if result.claimed == 0 or result.failed:
                stop.wait(options["interval"])
        dead = f", dead-lettered {total_dead}" if total_dead else ""
        self.stdout.write(f"applied {total_applied}, failed {total_failed}{dead}")


def _pause_at(point: str | None) -> Callable[[str], None] | None:
    """Return a checkpoint that announces ``point`` on stdout and then waits for a line on stdin
    (or for the process to be killed), or None (the normal case) when no point is given."""
    if point is None:
        return None

    def checkpoint(reached: str) -> None:
        if reached == point:
            sys.stdout.write(f"relay paused at {reached}\n")
            sys.stdout.flush()
            sys.stdin.readline()

    return checkpoint
