"""The run's modes: catalog size and load, and the regression guard's thresholds."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    products: int
    categories: int
    seconds: int
    users: int
    deep_pages: int
    page_sizes: tuple[int, ...] = (24, 100)
    mix: bool = True
    # Each variant is measured this many times, in alternating order: one window of a variant
    # varied by up to 30 % from the next, more than the 5 % a target can hinge on.
    rounds: int = 4


MODES = {
    "default": Mode(100_000, 300, 10, 50, 400),
    "quick": Mode(20_000, 60, 6, 50, 100),
    "tiny": Mode(300, 6, 2, 5, 5, page_sizes=(24,), rounds=1),  # proves the runner works, in seconds
    # At 1,000,000 the mix's document-driven filters scan the stand-in (it has no secondary
    # indexes) until it stops answering; the large run is about the variants and deep pages.
    "large": Mode(1_000_000, 300, 10, 50, 1000, mix=False, rounds=2),
}
# The regression guard (issue 11): the run fails when a guarded ratio falls under its threshold.
# These are the runner's settings; --guard-uncached / --guard-cached override them.
GUARD_THRESHOLDS = {"uncached": 0.7, "cached": 0.75}
# The mix runs at least this long, whatever the mode's window: staff log in, edit, and check.
MIX_MIN_SECONDS = 6


def mix_seconds(mode: Mode) -> int:
    """How long the shopper and staff mix runs."""
    return max(mode.seconds, MIX_MIN_SECONDS)
