"""Progress of long work (seeding, reconciliation): how much is done, how fast, how long is left.

On a terminal it is a live bar (rich's); in a log (CI, a container) it is a plain line every
few seconds and one at the end, so the output stays readable where nothing redraws.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import TextIO

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TaskProgressColumn, TextColumn, TimeRemainingColumn
from rich.progress import Progress as RichProgress

LOG_EVERY_SECONDS = 5.0


def progress_line(description: str, done: int, total: int, elapsed: float, unit: str) -> str:
    """One line of progress: ``seeding: 40,000 of 100,000 products (40 %), 12,500/s, about 5 s left``."""
    rate = done / elapsed if elapsed > 0 else 0.0
    share = f" ({done * 100 // total} %)" if total else ""
    line = f"{description}: {done:,} of {total:,} {unit}{share}, {rate:,.0f}/s"
    if done < total and rate > 0:
        line += f", about {(total - done) / rate:,.0f} s left"
    elif done >= total:
        line += f", done in {elapsed:,.1f} s"
    return line


class Progress:
    """``with Progress("seeding", total, "products", stream) as progress: progress.advance(n)``."""

    def __init__(self, description: str, total: int, unit: str, stream: TextIO) -> None:
        self.description, self.total, self.unit, self.stream = description, total, unit, stream
        self.done = 0
        self._started = self._logged = time.monotonic()
        self._live: RichProgress | None = None
        if stream.isatty():
            self._live = RichProgress(
                TextColumn(f"{description} {{task.completed:,}} {unit}"),
                BarColumn(),
                MofNCompleteColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[rate]}/s"),
                TimeRemainingColumn(),
                console=Console(file=stream),
            )
            self._task = self._live.add_task(description, total=total, rate="0")

    def __enter__(self) -> Progress:
        if self._live is not None:
            self._live.start()
        return self

    def advance(self, count: int) -> None:
        self.done += count
        now = time.monotonic()
        if self._live is not None:
            rate = self.done / (now - self._started) if now > self._started else 0.0
            self._live.update(self._task, completed=self.done, rate=f"{rate:,.0f}")
        elif now - self._logged >= LOG_EVERY_SECONDS:
            self._logged = now
            self._write()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.stop()
        if kind is None:
            self._write()

    def _write(self) -> None:
        elapsed = time.monotonic() - self._started
        self.stream.write(progress_line(self.description, self.done, self.total, elapsed, self.unit) + "\n")
        self.stream.flush()
