"""python manage.py relay_outbox [--once]: apply pending outbox records to MongoDB."""

from __future__ import annotations

import logging
import signal
import threading
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

    def handle(self, *args: Any, **options: Any) -> None:
        stop = threading.Event()
        if not options["once"]:
            for sig in (signal.SIGTERM, signal.SIGINT):
                signal.signal(sig, lambda *_: stop.set())
        total_applied = total_failed = 0
        failing = False
        while not stop.is_set():
            close_old_connections()
            result = apply_pending()
            total_applied += result.applied
            total_failed += result.failed
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
        self.stdout.write(f"applied {total_applied}, failed {total_failed}")
