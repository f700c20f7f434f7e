"""The runner's options (``python -m loadtests.bench --help``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from loadtests.bench.modes import GUARD_THRESHOLDS
from loadtests.bench.plan import plan
from loadtests.bench.run import run

GUARD_HELP = {
    "uncached": "fail when ours uncached ÷ limit (req/s) falls under this",
    "cached": "fail when ours cached ÷ constant page (req/s) falls under this",
    "cached-cpu": "fail when ours cached ÷ constant page (CPU per request) rises over this",
    "asgi-healthz-cpu": "fail when ASGI ÷ WSGI /healthz (CPU per request) rises over this",
    "asgi-cached-cpu": "fail when ASGI ÷ WSGI cached listing (CPU per request) rises over this",
    "asgi-uncached-cpu": "fail when ASGI ÷ WSGI uncached listing (CPU per request) rises over this",
}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.bench", description="Benchmark the listing variants side by side."
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="20,000 products, about nine minutes")
    size.add_argument("--tiny", action="store_true", help="a few hundred products, seconds (the test suite)")
    size.add_argument("--large", action="store_true", help="1,000,000 products, for deep pages")
    parser.add_argument("--products", type=int, help="catalog size (overrides the mode's)")
    parser.add_argument("--categories", type=int)
    parser.add_argument("--seconds", type=int, help="load per variant and round")
    parser.add_argument("--users", type=int)
    parser.add_argument("--rounds", type=int, help="measurements of each variant (alternating order)")
    parser.add_argument(
        "--database", default=None, help="database name (default bench_catalog, or bench_tiny)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="results directory (default loadtests/results)"
    )
    parser.add_argument("--profile-page-size", type=int, default=None,
                        help="page size of the profiling pass (default: the first measured)")  # fmt: skip
    parser.add_argument("--profile", nargs="?", const="ours-uncached", default="",
                        help="sample these variants (comma-separated) with py-spy")  # fmt: skip
    parser.add_argument("--stack-mongodb", action="store_true",
                        help="use the stack's MongoDB even when it is the file-backed stand-in")  # fmt: skip
    parser.add_argument("--locust-processes", type=int, default=None,
                        help="Locust's --processes in the measured windows (0: one process)")  # fmt: skip
    for key, help_text in GUARD_HELP.items():
        parser.add_argument(f"--guard-{key}", type=float, default=GUARD_THRESHOLDS[key],
                            help=f"{help_text} (default {GUARD_THRESHOLDS[key]}; 0: off)")  # fmt: skip
    return parser


def main(argv: list[str] | None = None) -> Path:
    """Run the benchmark ``argv`` describes; return its results directory."""
    return run(plan(parser().parse_args(argv)))
