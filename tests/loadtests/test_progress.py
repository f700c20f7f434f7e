"""The runner's progress lines: variant N of M and the time left."""

from loadtests.bench.modes import MODES
from loadtests.bench.progress import WINDOW_OVERHEAD_SECONDS, Progress, duration, time_left
from loadtests.bench.rounds import windows
from loadtests.bench.variants import VARIANTS


def test_the_time_left_follows_the_pace_so_far_or_a_first_guess():
    assert time_left(0, 10, 0.0, first_guess=14.0) == 140.0
    assert time_left(4, 10, 60.0, first_guess=14.0) == 90.0  # 15 s a window so far, 6 to go
    assert time_left(10, 10, 150.0, first_guess=14.0) == 0.0


def test_durations_read_as_hours_minutes_or_seconds():
    assert duration(12.4) == "12 s"
    assert duration(245) == "4 min 05 s"
    assert duration(3720) == "1 h 02 min"


def test_each_window_is_announced_with_its_number_and_the_time_left():
    progress = Progress(total=3, window_seconds=6, started=100.0)
    first = progress.starting("limit, 24 items, round 1 of 1", now=100.0)
    left = duration(3 * (6 + WINDOW_OVERHEAD_SECONDS))
    assert first == f"variant 1 of 3: limit, 24 items, round 1 of 1; about {left} left"
    progress.finished()
    assert progress.starting("naive, 24 items, round 1 of 1", now=112.0).endswith("; about 24 s left")
    progress.finished()
    assert progress.starting("x", now=130.0).startswith("variant 3 of 3: x;")


def test_a_run_counts_every_variant_at_every_page_size_in_every_round():
    once = sum(1 for v in VARIANTS if not v.every_size)
    assert windows(MODES["tiny"]) == len(VARIANTS)
    assert windows(MODES["quick"]) == 4 * (2 * len(VARIANTS) - once)
