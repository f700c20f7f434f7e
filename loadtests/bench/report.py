"""The benchmark's figures: results per variant and page size, the ratios taken from one run on
both measures (req/s, and the server workers' CPU time per request), their targets, the
regression guard, and whether the load generator was the bottleneck. ``output`` writes them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loadtests.bench.generator import bottleneck_reasons


@dataclass
class Result:
    variant: str
    description: str
    page_size: int = 24
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    sql_queries: dict[str, int] = field(default_factory=dict)
    mongo_round_trips: int = 0
    ratio_to_ceiling: float | None = None
    # The server workers' CPU time over the window (kernel accounting), and per request served.
    worker_cpu_seconds: float = 0.0
    cpu_us_per_request: float | None = None
    # Locust's own processes over the window: CPU seconds, the window's length, its cores.
    locust_cpu_seconds: float = 0.0
    locust_wall_seconds: float = 0.0
    locust_cores: int = 1
    locust_cpu_share: float | None = None


@dataclass(frozen=True)
class RatioSpec:
    name: str
    numerator: str
    denominator: str
    # page size -> the target the req/s ratio must reach, at least (issue 11's "targets")
    targets: dict[int, float]
    # page size -> the target the CPU-per-request ratio must stay under, at most (issue 23)
    cpu_targets: dict[int, float] = field(default_factory=dict)
    # True: taken at the first page size only (a side measured once: the ceiling, /healthz)
    once: bool = False


RATIOS = (
    RatioSpec("ours uncached ÷ limit", "ours-uncached", "limit", {24: 0.8, 100: 0.8}),
    # CPU: the cached listing costs at most 15 % more than the same bytes held in memory.
    RatioSpec(
        "ours cached ÷ constant page", "ours-cached", "constant", {24: 0.85, 100: 0.85}, {24: 1.15, 100: 1.15}
    ),
    RatioSpec("ours uncached ÷ seed-style", "ours-uncached", "seed-style", {24: 3.0, 100: 5.0}),
    RatioSpec("ours uncached ÷ naive", "ours-uncached", "naive", {24: 3.0, 100: 5.0}),
    # Which interface to deploy (issue 10): no req/s target, the figures decide. CPU (issue 23):
    # an ASGI request costs at most a quarter more than a WSGI one, a tenth more for a listing
    # that does real work.
    RatioSpec("ASGI healthz ÷ WSGI healthz", "asgi-healthz", "healthz", {}, {24: 1.25, 100: 1.25}, once=True),
    RatioSpec("ASGI limit ÷ WSGI limit", "asgi-limit", "limit", {}),
    RatioSpec("ASGI uncached ÷ WSGI uncached", "asgi-uncached", "ours-uncached", {}, {24: 1.1, 100: 1.1}),
    RatioSpec("ASGI cached ÷ WSGI cached", "asgi-cached", "ours-cached", {}, {24: 1.25, 100: 1.25}),
    # The load generator check (issue 23): with Locust out of the way, the cheapest page is
    # served clearly faster than a cached listing.
    RatioSpec("ceiling ÷ ours cached", "ceiling", "ours-cached", {24: 1.3, 100: 1.3}, once=True),
)
RPS, CPU = "req/s", "CPU per request"
# The regression guard's ratios (the runner's thresholds name them): key -> (ratio, measure).
# A req/s ratio fails under its threshold, a CPU-per-request ratio over it.
GUARDED = {
    "uncached": ("ours uncached ÷ limit", RPS),
    "cached": ("ours cached ÷ constant page", RPS),
    "cached-cpu": ("ours cached ÷ constant page", CPU),
    "asgi-healthz-cpu": ("ASGI healthz ÷ WSGI healthz", CPU),
    "asgi-cached-cpu": ("ASGI cached ÷ WSGI cached", CPU),
    "asgi-uncached-cpu": ("ASGI uncached ÷ WSGI uncached", CPU),
}


@dataclass
class Ratio:
    name: str
    page_size: int
    value: float | None
    target: float | None
    measure: str = RPS  # RPS: higher is better, the target a minimum; CPU: lower, a maximum

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target if self.measure == CPU else self.value >= self.target


def ratio_of(top: float | None, bottom: float | None) -> float | None:
    return round(top / bottom, 3) if top and bottom else None


def ratios(results: list[Result]) -> list[Ratio]:
    """Return every ratio of ``RATIOS`` on both measures (req/s, then CPU per request) at every
    page size measured (the ``once`` ones at the first only; None where a side is missing)."""
    by_key = {(r.variant, r.page_size): r for r in results}
    sizes = sorted({r.page_size for r in results})
    out = []
    for size in sizes:
        for spec in RATIOS:
            if spec.once and size != sizes[0]:
                continue
            top, bottom = by_key.get((spec.numerator, size)), by_key.get((spec.denominator, size))
            rps = ratio_of(top and top.rps, bottom and bottom.rps)
            cpu = ratio_of(top and top.cpu_us_per_request, bottom and bottom.cpu_us_per_request)
            out.append(Ratio(spec.name, size, rps, spec.targets.get(size), RPS))
            out.append(Ratio(spec.name, size, cpu, spec.cpu_targets.get(size), CPU))
    return out


def guard_failures(measured: list[Ratio], thresholds: dict[str, float]) -> list[str]:
    """Return a line per guarded ratio past its threshold (empty: the guard passes): a req/s
    ratio under its minimum, a CPU-per-request ratio over its maximum."""
    failures = []
    for key, threshold in thresholds.items():
        name, measure = GUARDED[key]
        for ratio in measured:
            if ratio.name != name or ratio.measure != measure or ratio.value is None:
                continue
            label = ratio.name if measure == RPS else f"{ratio.name} ({CPU})"
            past = ratio.value < threshold if measure == RPS else ratio.value > threshold
            if past:
                side = "under" if measure == RPS else "over"
                failures.append(
                    f"{label} at {ratio.page_size} items is {ratio.value}, {side} the guard's {threshold}"
                )
    return failures


def generator_check(results: list[Result]) -> dict[str, Any]:
    """Return whether the load generator was the run's bottleneck, and why (``generator``)."""
    first = min((r.page_size for r in results), default=0)
    rps = {(r.variant, r.page_size): r.rps for r in results}
    shares = {f"{r.variant}, {r.page_size} items": r.locust_cpu_share for r in results}
    reasons = bottleneck_reasons(shares, rps.get(("ceiling", first)), rps.get(("constant", first)))
    peak = max((r.locust_cpu_share for r in results if r.locust_cpu_share is not None), default=None)
    return {"bottleneck": bool(reasons), "reasons": reasons, "peak_share": peak}
