"""The measured rounds: every variant at every page size, in rounds of alternating order,
averaged; and the profiling pass that follows them."""

from __future__ import annotations

from pathlib import Path

from loadtests.bench import cpu, profiling
from loadtests.bench.locust_runs import run_locust
from loadtests.bench.log import log
from loadtests.bench.modes import Mode
from loadtests.bench.probes import warm_up
from loadtests.bench.progress import Progress
from loadtests.bench.report import Result
from loadtests.bench.round_trips import Counts
from loadtests.bench.variants import in_round_order, measured_at, variant_named


def round_suffix(number: int, rounds: int) -> str:
    """The file-name suffix of round ``number`` (from 0): none when there is a single round."""
    return f"-round{number + 1}" if rounds > 1 else ""


def windows(mode: Mode) -> int:
    """The number of measured windows of a run: every variant measured at each page size, in
    every round."""
    return mode.rounds * sum(len(measured_at(size, mode.page_sizes)) for size in mode.page_sizes)


def measure(
    env: dict[str, str],
    bases: dict[str, str],
    mode: Mode,
    out: Path,
    slugs: list[str],
    trips: Counts,
    masters: dict[str, int],
) -> list[Result]:
    """Run every variant at every page size, in ``mode.rounds`` rounds of alternating order (so
    a drift during the run, such as a server warming up, favours no variant); return their
    results, each averaged over its rounds. ``masters``: the gunicorn master's pid per
    interface, whose workers' CPU time each window samples."""
    results = []
    progress = Progress(windows(mode), mode.seconds)
    for size in mode.page_sizes:
        variants = measured_at(size, mode.page_sizes)
        rounds: dict[str, list[Result]] = {v.name: [] for v in variants}
        for number in range(mode.rounds):
            for variant in in_round_order(variants, number):
                base = bases[variant.interface]
                what = f"{variant.name}, {size} items, round {number + 1} of {mode.rounds}"
                log(progress.starting(what) + f" ({mode.users} users, {mode.seconds} s)")
                warm_up(base, variant, slugs, size)
                suffix = round_suffix(number, mode.rounds)
                result = run_locust(
                    env, base, variant, mode, out, size, slugs, suffix, masters[variant.interface]
                )
                progress.finished()
                rounds[variant.name].append(result)
                log(
                    f"{variant.name}: {result.rps} req/s, {result.cpu_us_per_request} µs CPU/request, "
                    f"p50 {result.p50_ms} ms, {result.failures} failures, Locust {share(result)} of its cores"
                )
        for variant in variants:
            result = averaged(rounds[variant.name])
            result.sql_queries, result.mongo_round_trips = trips.get((variant.name, size), ({}, 0))
            results.append(result)
    return results


def share(result: Result) -> str:
    return "?" if result.locust_cpu_share is None else f"{result.locust_cpu_share:.0%}"


def averaged(rounds: list[Result]) -> Result:
    """One result from a variant's rounds: requests, failures and CPU seconds summed, rates and
    latencies averaged, CPU per request and Locust's share taken from the sums (a longer or
    busier window weighs more)."""
    first = rounds[0]

    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 1)

    requests = sum(r.requests for r in rounds)
    worker_cpu = round(sum(r.worker_cpu_seconds for r in rounds), 3)
    locust = cpu.combined(
        cpu.GeneratorUse(r.locust_cpu_seconds, r.locust_wall_seconds, r.locust_cores)
        for r in rounds
        if r.locust_cpu_share is not None
    )
    return Result(
        first.variant, first.description, first.page_size,
        requests=requests, failures=sum(r.failures for r in rounds),
        rps=mean([r.rps for r in rounds]), p50_ms=mean([r.p50_ms for r in rounds]),
        p95_ms=mean([r.p95_ms for r in rounds]), p99_ms=mean([r.p99_ms for r in rounds]),
        worker_cpu_seconds=worker_cpu,
        cpu_us_per_request=cpu.per_request_us(worker_cpu, requests) if worker_cpu else None,
        locust_cpu_seconds=locust.cpu_seconds if locust else 0.0,
        locust_wall_seconds=locust.wall_seconds if locust else 0.0,
        locust_cores=locust.cores if locust else first.locust_cores,
        locust_cpu_share=locust.share if locust else None,
    )  # fmt: skip


def profile(
    env: dict[str, str],
    bases: dict[str, str],
    mode: Mode,
    out: Path,
    master_pid: int,
    name: str,
    size: int,
    slugs: list[str],
) -> None:
    """Load one variant once more with py-spy on every worker; write profile-<variant>.md and the
    collapsed stacks (a separate pass, so sampling does not touch the measured figures)."""
    variant = variant_named(name)
    log(f"profiling {variant.name}, {size} items, for {mode.seconds} s")
    started = profiling.start_recording(
        profiling.worker_pids(master_pid), mode.seconds, out, f"stacks-{name}-{size}"
    )
    (out / "profile-run").mkdir(exist_ok=True)
    run_locust(env, bases[variant.interface], variant, mode, out / "profile-run", size, slugs)
    summary = profiling.summarise(profiling.finish_recording(started))
    title = f"# Profile: {variant.name}, {size}-item pages, under load"
    (out / f"profile-{name}-{size}.md").write_text(f"{title}\n\n{summary}")
