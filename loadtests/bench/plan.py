"""The plan of a run: the mode the options name, with their overrides, and the guard."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, replace
from pathlib import Path

from loadtests.bench.modes import GUARD_THRESHOLDS, MODES, Mode
from loadtests.bench.paths import RESULTS
from loadtests.bench.variants import variant_named


@dataclass(frozen=True)
class Plan:
    """What one run does: its mode (by name and as measured), the guard, where it writes."""

    mode_name: str
    mode: Mode
    thresholds: dict[str, float]  # guarded ratio key -> threshold (empty: the guard is off)
    database: str
    results_root: Path
    profile: tuple[str, ...]  # variants sampled with py-spy after the measured rounds
    profile_page_size: int | None
    stack_mongodb: bool


def guard_option(key: str) -> str:
    """The attribute argparse gives ``--guard-<key>`` (cli)."""
    return "guard_" + key.replace("-", "_")


def mode_name(args: argparse.Namespace) -> str:
    return "quick" if args.quick else "tiny" if args.tiny else "large" if args.large else "default"


def plan(args: argparse.Namespace) -> Plan:
    """Return the run ``args`` ask for: the named mode with the options' overrides."""
    name = mode_name(args)
    base = MODES[name]
    mode = replace(
        base,
        products=args.products or base.products,
        categories=args.categories or base.categories,
        seconds=args.seconds or base.seconds,
        users=args.users or base.users,
        rounds=args.rounds or base.rounds,
        locust_processes=base.locust_processes if args.locust_processes is None else args.locust_processes,
    )
    # The tiny mode proves the runner works (the test suite); its figures guard nothing.
    thresholds = {} if args.tiny else {key: getattr(args, guard_option(key)) for key in GUARD_THRESHOLDS}
    profile = tuple(filter(None, args.profile.split(",")))
    for variant in profile:  # named before the run, not after its measured rounds
        try:
            variant_named(variant)
        except KeyError:
            raise SystemExit(f"--profile: no variant named {variant!r}") from None
    return Plan(
        mode_name=name,
        mode=mode,
        thresholds={k: v for k, v in thresholds.items() if v > 0},
        database=args.database or ("bench_tiny" if args.tiny else "bench_catalog"),
        results_root=args.out or RESULTS,
        profile=profile,
        profile_page_size=args.profile_page_size,
        stack_mongodb=args.stack_mongodb,
    )
