"""Progress of long work: the line a log gets, and the live bar a terminal gets."""

import io

from catalog_service import progress
from catalog_service.progress import Progress, progress_line


def test_the_line_says_how_much_how_fast_and_how_long_is_left():
    assert progress_line("seeding", 40_000, 100_000, 4.0, "products") == (
        "seeding: 40,000 of 100,000 products (40 %), 10,000/s, about 6 s left"
    )
    assert progress_line("seeding", 100_000, 100_000, 8.0, "products") == (
        "seeding: 100,000 of 100,000 products (100 %), 12,500/s, done in 8.0 s"
    )
    assert progress_line("seeding", 0, 0, 0.0, "products").startswith("seeding: 0 of 0 products, 0/s")


def test_a_log_gets_a_line_every_few_seconds_and_one_at_the_end(monkeypatch):
    stream = io.StringIO()  # not a terminal
    with Progress("checking", 30, "rows", stream) as bar:
        for _ in range(3):
            bar.advance(10)
    assert stream.getvalue().splitlines() == [stream.getvalue().splitlines()[-1]]  # quick: the end only
    monkeypatch.setattr(progress, "LOG_EVERY_SECONDS", 0)
    stream = io.StringIO()
    with Progress("checking", 30, "rows", stream) as bar:
        for _ in range(3):
            bar.advance(10)
    lines = stream.getvalue().splitlines()
    assert [line.split(",")[0] for line in lines] == [
        "checking: 10 of 30 rows (33 %)", "checking: 20 of 30 rows (66 %)", "checking: 30 of 30 rows (100 %)",
        "checking: 30 of 30 rows (100 %)",
    ]  # fmt: skip


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_a_live_bar():
    stream = Terminal()
    with Progress("seeding", 20, "products", stream) as bar:
        bar.advance(20)
    shown = stream.getvalue()
    assert "20/20" in shown and "seeding" in shown and "/s" in shown
