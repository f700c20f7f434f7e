"""The benchmark's figures: results per variant and page size, the ratios taken from one run,
their targets and the regression guard, and the report (Markdown, JSON and PNG plots)."""

from __future__ import annotations

import json
import statistics
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


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


@dataclass(frozen=True)
class RatioSpec:
    name: str
    numerator: str
    denominator: str
    # page size -> the target the ratio must reach (issue 11's "targets")
    targets: dict[int, float]


RATIOS = (
    RatioSpec("ours uncached ÷ limit", "ours-uncached", "limit", {24: 0.8, 100: 0.8}),
    RatioSpec("ours cached ÷ constant page", "ours-cached", "constant", {24: 0.85, 100: 0.85}),
    RatioSpec("ours uncached ÷ seed-style", "ours-uncached", "seed-style", {24: 3.0, 100: 5.0}),
    RatioSpec("ours uncached ÷ naive", "ours-uncached", "naive", {24: 3.0, 100: 5.0}),
    # Which interface to deploy (issue 10): no target, the figures decide.
    RatioSpec("ASGI uncached ÷ WSGI uncached", "asgi-uncached", "ours-uncached", {}),
    RatioSpec("ASGI cached ÷ WSGI cached", "asgi-cached", "ours-cached", {}),
)
# The regression guard's ratios (the runner's thresholds name them).
GUARDED = {"uncached": "ours uncached ÷ limit", "cached": "ours cached ÷ constant page"}


@dataclass
class Ratio:
    name: str
    page_size: int
    value: float | None
    target: float | None

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value >= self.target


def ratios(results: list[Result]) -> list[Ratio]:
    """Return every ratio of ``RATIOS`` at every page size measured (None where a side is missing)."""
    rps = {(r.variant, r.page_size): r.rps for r in results}
    sizes = sorted({r.page_size for r in results})
    out = []
    for size in sizes:
        for spec in RATIOS:
            top, bottom = rps.get((spec.numerator, size)), rps.get((spec.denominator, size))
            value = round(top / bottom, 3) if top and bottom else None
            out.append(Ratio(spec.name, size, value, spec.targets.get(size)))
    return out


def guard_failures(measured: list[Ratio], thresholds: dict[str, float]) -> list[str]:
    """Return a line per guarded ratio that fell under its threshold (empty: the guard passes)."""
    failures = []
    for key, minimum in thresholds.items():
        for ratio in measured:
            if ratio.name == GUARDED[key] and ratio.value is not None and ratio.value < minimum:
                failures.append(
                    f"{ratio.name} at {ratio.page_size} items is {ratio.value}, under the guard's {minimum}"
                )
    return failures


def write_report(
    out: Path, results: list[Result], meta: dict[str, Any], deep: list[tuple[int, float]]
) -> list[Ratio]:
    """Write report.json, report.md and the plots to ``out``; return the ratios."""
    ceiling = next((r.rps for r in results if r.variant == "ceiling"), 0)
    for result in results:
        result.ratio_to_ceiling = round(result.rps / ceiling, 3) if ceiling else None
    measured = ratios(results)
    report = {
        **meta,
        "results": [asdict(r) for r in results],
        "ratios": [{**asdict(r), "met": r.met} for r in measured],
        "deep_pages_ms": deep,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2))
    (out / "report.md").write_text(markdown(results, measured, meta, deep))
    plot(out, results, deep)
    return measured


def markdown(results: list[Result], measured: list[Ratio], meta: dict[str, Any], deep: list) -> str:
    machine = meta["machine"]
    lines = [
        f"# Benchmark {meta['timestamp']}",
        "",
        f"Machine: {machine['host']}, {machine['cpu']}, {machine['cores']} cores. "
        f"MongoDB: {meta['mongodb']}. "
        f"Catalog: {meta['products']:,} products in {meta['categories']} categories"
        + (f" (seeded in {meta['seeded_in_seconds']:.0f} s)" if meta.get("seeded_in_seconds") else "")
        + f". Locust: {meta['users']} users, {meta['seconds']} s per variant and page size"
        + (
            f", in {meta['rounds']} rounds of alternating order (figures: their mean)"
            if meta.get("rounds", 1) > 1
            else ""
        )
        + "; gunicorn "
        f"{meta['workers']} {meta.get('worker_class', 'sync')} workers (WSGI) or {meta['workers']} uvicorn "
        "workers (ASGI, the asgi-* variants) on 127.0.0.1, load generator on the same machine.",
        "",
        "| variant | items | req/s | p50 ms | p95 ms | p99 ms | failures | SQL queries / request "
        "| MongoDB round trips / request | ÷ ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        sql = ", ".join(f"{n} {a}" for a, n in sorted(r.sql_queries.items())) or "0"
        items = 50 if r.variant == "ceiling" else r.page_size
        latency = f"{r.p50_ms:.0f} | {r.p95_ms:.0f} | {r.p99_ms:.0f}"
        lines.append(f"| {r.variant} | {items} | {r.rps:.1f} | {latency} | {r.failures}/{r.requests} "
                     f"| {sql} | {r.mongo_round_trips} | {r.ratio_to_ceiling} |")  # fmt: skip
    lines += ["", "Ratios, from this run:", ""]
    for ratio in measured:
        verdict = "" if ratio.met is None else " (met)" if ratio.met else " (**missed**)"
        target = f", target ≥ {ratio.target}" if ratio.target is not None else ""
        lines.append(f"- {ratio.page_size} items: {ratio.name} = {ratio.value}{target}{verdict}")
    memory, asgi_memory = meta.get("worker_memory_mb"), meta.get("asgi_worker_memory_mb")
    if memory:
        lines += ["", "Resident memory of each gunicorn worker after the run: "
                  + ", ".join(f"{mb:.0f} MB" for mb in memory) + " (WSGI); "
                  + ", ".join(f"{mb:.0f} MB" for mb in asgi_memory or []) + " (uvicorn, ASGI). "
                  "Target: under 150 MB."]  # fmt: skip
    if deep:
        first, last = deep[0], deep[-1]
        lines += ["", f"Deep pages (uncached listing of a top-level category): page {first[0]} "
                  f"{first[1]} ms, page {last[0]} {last[1]} ms (median of pages 1-10: "
                  f"{statistics.median(ms for _, ms in deep[:10]):.1f} ms; of the last 10: "
                  f"{statistics.median(ms for _, ms in deep[-10:]):.1f} ms)."]  # fmt: skip
    if meta.get("mix_skipped"):
        lines += ["", f"Shopper and staff mix: {meta['mix_skipped']}"]
    lines += ["", "![throughput](throughput.png)", "", "![latency](latency.png)", "",
              "![deep pages](deep_pages.png)"]  # fmt: skip
    return "\n".join(lines) + "\n"


def plot(out: Path, results: list[Result], deep: list[tuple[int, float]]) -> None:
    # matplotlib takes a second to import; only the plotting step needs it.
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: no display here
    import matplotlib.pyplot as plt  # after use("Agg"), which must come first

    names = [r.variant if r.variant == "ceiling" else f"{r.variant}\n{r.page_size}" for r in results]
    colors = ["#4477aa" if r.page_size == results[0].page_size else "#66ccee" for r in results]
    fig, ax = plt.subplots(figsize=(11, 4.5))
    ax.bar(range(len(results)), [r.rps for r in results], color=colors)
    ax.set_xticks(range(len(results)), names, fontsize=7)
    ax.set_ylabel("requests/s")
    ax.set_title("Throughput per variant and page size (items per page under each name)")
    fig.tight_layout()
    fig.savefig(out / "throughput.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(11, 4.5))
    width = 0.27
    for i, (label, key) in enumerate((("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"))):
        ax.bar([x + (i - 1) * width for x in range(len(results))], [getattr(r, key) for r in results], width,
               label=label)  # fmt: skip
    ax.set_xticks(range(len(results)), names, fontsize=7)
    ax.set_ylabel("latency (ms)")
    ax.set_title("Latency percentiles per variant and page size")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    if deep:
        ax.plot([p for p, _ in deep], [ms for _, ms in deep], ".", markersize=3)
    ax.set_xlabel("page number")
    ax.set_ylabel("latency (ms)")
    ax.set_title("Latency against page depth (keyset pagination)")
    fig.tight_layout()
    fig.savefig(out / "deep_pages.png", dpi=120)
    plt.close(fig)
