"""Locust, run headless and bounded in time (``loadtests/locustfile.py``): one variant's
listing user, or the shopper and staff mix; its CSV statistics read into figures, with the
CPU time the server's workers and Locust itself spent in the window (``cpu``)."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from loadtests.bench import cpu
from loadtests.bench.modes import Mode, mix_seconds
from loadtests.bench.paths import PYTHON, ROOT
from loadtests.bench.report import Result
from loadtests.bench.variants import Variant

LOCUSTFILE = "loadtests/locustfile.py"  # relative to ROOT, where Locust runs
# Each Locust user checks its first answer and every CHECK_EVERY-th after it in full (the
# others by status): a full check is a third of Locust's CPU per request on the cheapest pages.
CHECK_EVERY = 10


def locust_command(
    user_classes: Sequence[str],
    users: int,
    seconds: int,
    stop_timeout: int,
    base: str,
    prefix: Path,
    processes: int = 0,
) -> list[str]:
    """Return Locust's command line: headless, every user spawned at once, CSV and HTML to
    ``prefix``; with ``processes``, forked into that many worker processes (and a master)."""
    forked = ["--processes", str(processes)] if processes else []
    return [
        PYTHON, "-m", "locust", "-f", LOCUSTFILE, *user_classes, "--headless", *forked,
        "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", str(stop_timeout),
        "--host", base, "--csv", str(prefix), "--html", f"{prefix}.html", "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip


def variant_environment(
    env: Mapping[str, str], variant: Variant, page_size: int, slugs: Sequence[str]
) -> dict[str, str]:
    """Return the environment that points ``VariantUser`` at ``variant`` (locustfile reads it)."""
    locust_env = {**env, "BENCH_PATH": variant.path, "BENCH_PAGE_SIZE": str(page_size)}
    locust_env["BENCH_SLUGS"] = ",".join(slugs)
    locust_env["BENCH_CHECK"] = variant.check
    locust_env["BENCH_CHECK_EVERY"] = str(CHECK_EVERY)
    if variant.max_items:
        locust_env["BENCH_MAX_ITEMS"] = str(variant.max_items)
    return locust_env


def read_stats(prefix: Path) -> list[dict[str, str]]:
    """Return the rows of Locust's ``<prefix>_stats.csv``."""
    with open(f"{prefix}_stats.csv", newline="") as stats:
        return list(csv.DictReader(stats))


def request_name(variant: Variant) -> str:
    """The name Locust gives the variant's requests: its path, ``[slug]`` for the category."""
    return variant.path.format(slug="[slug]")


def variant_result(rows: Iterable[Mapping[str, str]], variant: Variant, page_size: int) -> Result | None:
    """Return the variant's figures from Locust's rows (None: Locust made no request to it).
    Locust names every request of the variant by its path with ``[slug]`` for the category."""
    by_name = {row["Name"]: row for row in rows}
    row = by_name.get(request_name(variant))
    if row is None or not int(row["Request Count"]):
        return None
    return Result(
        variant.name, variant.description, page_size,
        requests=int(row["Request Count"]), failures=int(row["Failure Count"]),
        rps=round(float(row["Requests/s"]), 1), p50_ms=float(row["50%"]), p95_ms=float(row["95%"]),
        p99_ms=float(row["99%"]),
    )  # fmt: skip


def mix_figures(rows: Iterable[Mapping[str, str]]) -> dict[str, dict[str, Any]]:
    """Return the mix's figures by "<type> <name>" (the aggregated row is named "Aggregated")."""
    return {
        f"{row['Type']} {row['Name']}".strip(): {
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "rps": round(float(row["Requests/s"]), 1),
            "p50_ms": float(row["50%"]),
            "p95_ms": float(row["95%"]),
        }
        for row in rows
    }


def run_locust(
    env: dict[str, str],
    base: str,
    variant: Variant,
    mode: Mode,
    out: Path,
    page_size: int,
    slugs: list[str],
    suffix: str = "",
    master_pid: int | None = None,
) -> Result:
    """Load one variant for ``mode.seconds`` with ``mode.users`` users; return its figures, with
    the CPU time of the workers of ``master_pid`` (the server's gunicorn) and of Locust's own
    processes over the window."""
    prefix = out / f"{variant.name}-{page_size}{suffix}"
    cpu_dir = Path(f"{prefix}-cpu")
    shutil.rmtree(cpu_dir, ignore_errors=True)
    cpu_dir.mkdir()
    command = locust_command(
        ["VariantUser"], mode.users, mode.seconds, 5, base, prefix, mode.locust_processes
    )
    locust_env = {**variant_environment(env, variant, page_size, slugs), "BENCH_CPU_DIR": str(cpu_dir)}
    before = cpu.worker_cpu(master_pid) if master_pid else {}
    run = subprocess.run(command, cwd=ROOT, env=locust_env, capture_output=True, text=True,
                         timeout=mode.seconds + 60)  # fmt: skip
    after = cpu.worker_cpu(master_pid) if master_pid else {}
    result = variant_result(read_stats(prefix), variant, page_size)
    if result is None:
        raise SystemExit(f"{variant.name}: Locust made no requests; it said:\n{run.stderr[-3000:]}")
    if master_pid:
        result.worker_cpu_seconds = round(cpu.cpu_used(before, after), 3)
        result.cpu_us_per_request = cpu.per_request_us(result.worker_cpu_seconds, result.requests)
    cores = cpu.generator_cores(mode.locust_processes, os.cpu_count() or 1)
    use = cpu.generator_use(cpu.read_records(cpu_dir), cores)
    if use is not None:
        result.locust_cpu_seconds, result.locust_wall_seconds = use.cpu_seconds, use.wall_seconds
        result.locust_cores, result.locust_cpu_share = use.cores, use.share
    return result


def run_mix(env: dict[str, str], base: str, mode: Mode, out: Path) -> dict[str, Any]:
    """Run the realistic mix (shoppers and one staff member) and return its rows by name."""
    prefix = out / "mix"
    locust_env = {k: v for k, v in env.items() if k != "BENCH_PATH"}
    # One process: the mix is about what shoppers and staff see, not about the generator's pace.
    command = locust_command(["Shopper", "Staff"], mode.users, mix_seconds(mode), 10, base, prefix)
    subprocess.run(command, cwd=ROOT, env=locust_env, capture_output=True, timeout=mode.seconds + 90)
    return mix_figures(read_stats(prefix))
