"""CPU time, from the kernel's accounting: the server workers' per request, and the load
generator's share of its cores.

The workers' side is sampled by the runner before and after each measured window (user +
system time of every worker process, which psutil reads from /proc/<pid>/stat, all threads
included) and divided by the requests Locust counted in the window. Outside a window the
workers are idle, so the few milliseconds of Locust's start and stop cost nothing measurable.

The generator's side is measured by Locust's own processes (``loadtests/locustfile.py`` writes
each process's CPU time between its test's start and stop to ``BENCH_CPU_DIR``), so the seconds
Locust spends importing and forking before the load starts do not count as load.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import psutil

# pid -> CPU seconds (user + system) of that process so far
CpuSample = dict[int, float]


def worker_cpu(master_pid: int) -> CpuSample:
    """Return the CPU seconds each worker of the gunicorn master ``master_pid`` has used so far."""
    sample = {}
    for child in psutil.Process(master_pid).children():
        try:
            times = child.cpu_times()
        except psutil.NoSuchProcess:  # a worker that exited between the listing and the read
            continue
        sample[child.pid] = times.user + times.system
    return sample


def cpu_used(before: Mapping[int, float], after: Mapping[int, float]) -> float:
    """Return the CPU seconds the processes used between two samples. A process that appeared
    in between (a worker replaced) used all of its time inside the window; one that vanished
    is counted up to its last sample, before the window (its last share is lost, not invented)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())


def per_request_us(cpu_seconds: float, requests: int) -> float | None:
    """Return the CPU microseconds per request (None without requests)."""
    if requests <= 0:
        return None
    return round(cpu_seconds / requests * 1e6, 1)


@dataclass(frozen=True)
class GeneratorUse:
    """The load generator's CPU over a window: its processes' seconds, the window's length, and
    the cores it could use (one per load-generating process, at most the machine's)."""

    cpu_seconds: float
    wall_seconds: float
    cores: int

    @property
    def share(self) -> float | None:
        """The share of its cores the generator used (1.0: every one of them all the time)."""
        if self.wall_seconds <= 0 or self.cores <= 0:
            return None
        return round(self.cpu_seconds / (self.wall_seconds * self.cores), 3)


def generator_cores(processes: int, machine_cores: int) -> int:
    """Return the cores Locust can use: one per process it runs (``--processes``, 0 for none:
    one process), at most the machine's."""
    return max(1, min(processes or 1, machine_cores))


def generator_use(records: Iterable[Mapping[str, float]], cores: int) -> GeneratorUse | None:
    """Return the generator's use from its processes' records (``cpu``: seconds between the
    test's start and stop; ``start``, ``stop``: monotonic clock), over the span of all windows.
    None when no process wrote a record."""
    records = list(records)
    if not records:
        return None
    wall = max(r["stop"] for r in records) - min(r["start"] for r in records)
    return GeneratorUse(round(sum(r["cpu"] for r in records), 3), round(wall, 3), cores)


def combined(uses: Iterable[GeneratorUse | None]) -> GeneratorUse | None:
    """Return several windows' use as one (their seconds summed; the cores of the first)."""
    known = [u for u in uses if u is not None]
    if not known:
        return None
    return GeneratorUse(
        round(sum(u.cpu_seconds for u in known), 3),
        round(sum(u.wall_seconds for u in known), 3),
        known[0].cores,
    )


def read_records(directory: Path) -> list[dict[str, float]]:
    """Return the records Locust's processes wrote to ``directory`` (one JSON file each)."""
    return [json.loads(path.read_text()) for path in sorted(directory.glob("*.json"))]
