"""The measured windows' progress: "variant N of M" and the time left, as plain log lines (they
read the same in a terminal and in a CI log, where a redrawn bar would print a line per frame)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# Before any window has finished, a window is estimated at its load plus this: Locust's start
# and stop, the warm-up, and the CPU samples.
WINDOW_OVERHEAD_SECONDS = 4.0


def time_left(done: int, total: int, elapsed: float, first_guess: float) -> float:
    """Return the seconds the ``total - done`` remaining windows should take: at the mean pace
    of the ``done`` so far (``elapsed`` seconds), or ``first_guess`` each before any finished."""
    remaining = max(0, total - done)
    per_window = elapsed / done if done else first_guess
    return remaining * per_window


def duration(seconds: float) -> str:
    """Return ``seconds`` as "1 h 02 min", "4 min 05 s" or "12 s"."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


@dataclass
class Progress:
    """Counts the run's measured windows and says how far it has come."""

    total: int
    window_seconds: float  # the load of one window (the mode's seconds)
    started: float = field(default_factory=time.monotonic)
    done: int = 0

    def starting(self, what: str, now: float | None = None) -> str:
        """The line that announces the next window, ``what`` (variant, page size, round)."""
        now = time.monotonic() if now is None else now
        first_guess = self.window_seconds + WINDOW_OVERHEAD_SECONDS
        left = time_left(self.done, self.total, now - self.started, first_guess)
        return f"variant {self.done + 1} of {self.total}: {what}; about {duration(left)} left"

    def finished(self) -> None:
        self.done += 1
