"""report.md: the run's setting, the variants' figures, the ratios and their targets, the load
generator's check, memory and deep pages."""

from __future__ import annotations

import statistics
from typing import Any

from loadtests.bench.generator import LOCUST_BUSY_SHARE
from loadtests.bench.report import CPU, Ratio, Result


def setting(meta: dict[str, Any]) -> str:
    machine = meta["machine"]
    processes = meta.get("locust_processes", 0)
    locust = f"{processes} processes" if processes else "one process"
    return (
        f"Machine: {machine['host']}, {machine['cpu']}, {machine['cores']} cores. "
        f"MongoDB: {meta['mongodb']}. "
        f"Catalog: {meta['products']:,} products in {meta['categories']} categories"
        + (f" (seeded in {meta['seeded_in_seconds']:.0f} s)" if meta.get("seeded_in_seconds") else "")
        + f". Locust ({locust}, FastHttpUser): {meta['users']} users, {meta['seconds']} s per variant "
        "and page size"
        + (
            f", in {meta['rounds']} rounds of alternating order (figures: their mean)"
            if meta.get("rounds", 1) > 1
            else ""
        )
        + "; gunicorn "
        f"{meta['workers']} {meta.get('worker_class', 'sync')} workers (WSGI) or {meta['workers']} uvicorn "
        "workers (ASGI, the asgi-* variants) on 127.0.0.1, load generator on the same machine."
    )


def figure(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def results_table(results: list[Result]) -> list[str]:
    lines = [
        "| variant | items | req/s | CPU µs / request | p50 ms | p95 ms | p99 ms | failures "
        "| SQL queries / request | MongoDB round trips / request | ÷ ceiling | Locust CPU |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        sql = ", ".join(f"{n} {a}" for a, n in sorted(r.sql_queries.items())) or "0"
        items = "—" if r.variant.endswith("healthz") else 50 if r.variant == "ceiling" else r.page_size
        latency = f"{r.p50_ms:.0f} | {r.p95_ms:.0f} | {r.p99_ms:.0f}"
        share = "—" if r.locust_cpu_share is None else f"{r.locust_cpu_share:.0%}"
        if r.locust_cpu_share is not None and r.requests:
            share += f", {r.locust_cpu_seconds / r.requests * 1e6:,.0f} µs"
        lines.append(f"| {r.variant} | {items} | {r.rps:.1f} | {figure(r.cpu_us_per_request)} | {latency} "
                     f"| {r.failures}/{r.requests} | {sql} | {r.mongo_round_trips} | {r.ratio_to_ceiling} "
                     f"| {share} |")  # fmt: skip
    return lines


def verdict(ratio: Ratio) -> str:
    if ratio.target is None:
        return ""
    sign = "≤" if ratio.measure == CPU else "≥"
    met = " (met)" if ratio.met else " (**missed**)" if ratio.met is False else ""
    return f", target {sign} {ratio.target}{met}"


def ratio_lines(measured: list[Ratio]) -> list[str]:
    """One line per ratio and page size: its req/s figure, then its CPU-per-request figure."""
    pairs: dict[tuple[str, int], list[Ratio]] = {}
    for ratio in measured:
        pairs.setdefault((ratio.name, ratio.page_size), []).append(ratio)
    lines = []
    for (name, size), both in pairs.items():
        parts = [
            f"{'CPU per request' if r.measure == CPU else 'req/s'} {figure(r.value, 3)}{verdict(r)}"
            for r in both
        ]
        lines.append(f"- {size} items: {name}: " + "; ".join(parts))
    return lines


def generator_lines(generator: dict[str, Any]) -> list[str]:
    peak = generator.get("peak_share")
    measured = "" if peak is None else f" At most {peak:.0%} of its cores in a window."
    if generator["bottleneck"]:
        return [
            "**The load generator, not the server, was the bottleneck in this run**: "
            + "; ".join(generator["reasons"])
            + ". The fast variants' req/s ratios are squeezed toward 1; the CPU-per-request ratios are not."
            + measured
        ]
    return [
        f"Load generator: the server, not Locust, set the pace (Locust under {LOCUST_BUSY_SHARE:.0%} of its "
        f"cores in every window, the ceiling over 1.1 times the constant page).{measured}"
    ]


def markdown(
    results: list[Result], measured: list[Ratio], meta: dict[str, Any], deep: list, generator: dict[str, Any]
) -> str:
    lines = [f"# Benchmark {meta['timestamp']}", "", setting(meta), "", *results_table(results)]
    lines += [
        "",
        "CPU µs / request: the server workers' CPU time (user + system, from the kernel's "
        "accounting) over the window, divided by the requests served in it. Locust CPU: the share of "
        "its cores Locust's processes used over the window, and their CPU time per request.",
    ]
    lines += ["", "Ratios, from this run (req/s: higher is better; CPU per request: lower is better):", ""]
    lines += ratio_lines(measured)
    lines += ["", *generator_lines(generator)]
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
    lines += ["", "![throughput](throughput.png)", "", "![CPU per request](cpu.png)", "",
              "![latency](latency.png)", "", "![deep pages](deep_pages.png)"]  # fmt: skip
    return "\n".join(lines) + "\n"
