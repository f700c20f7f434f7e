"""The report's PNG plots: throughput, CPU per request and latency per variant, and latency
against page depth.

The bars are horizontal, one row per variant, its name on the left: a dozen names side by side
under vertical bars overlapped however small the type, and a row's label has the figure's
whole left margin to itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from loadtests.bench.report import Result

COLORS = ("#4477aa", "#66ccee", "#228833", "#ccbb44", "#ee6677")


def variant_label(name: str) -> str:
    """A variant's row label: its name, and the page it sends when that is fixed."""
    if name == "ceiling":
        return "ceiling (50 items)"
    if name.endswith("healthz"):
        return f"{name} (no page)"
    return name


def variants_in_order(results: Sequence[Result]) -> list[str]:
    """The variants in the report's order, each once."""
    return list(dict.fromkeys(r.variant for r in results))


def grouped_rows(
    ax: Any,  # a matplotlib Axes (matplotlib is imported only when plotting)
    rows: Sequence[str],
    series: Sequence[tuple[str, dict[str, float]]],
    value_format: Callable[[float], str] | None = None,
) -> None:
    """Draw one horizontal bar per series in each row (a series' missing rows are left empty),
    the first row at the top; label the bars with their values when ``value_format`` is given."""
    height = 0.8 / len(series)
    for i, (label, values) in enumerate(series):
        ys = [n + (i - (len(series) - 1) / 2) * height for n, row in enumerate(rows) if row in values]
        xs = [values[row] for row in rows if row in values]
        bars = ax.barh(ys, xs, height, label=label, color=COLORS[i % len(COLORS)])
        if value_format:
            ax.bar_label(bars, [value_format(x) for x in xs], padding=2, fontsize=7)
    ax.set_yticks(range(len(rows)), [variant_label(r) for r in rows], fontsize=8)
    if not ax.yaxis_inverted():  # once: the latency plots' axes share it, and a second call flips it back
        ax.invert_yaxis()  # the table's first variant at the top
    ax.margins(x=0.12)  # room for the value labels


def by_size(
    results: Sequence[Result], key: Callable[[Result], float | None]
) -> list[tuple[str, dict[str, float]]]:
    """One series per page size: variant -> ``key`` of its result there (None left out)."""
    sizes = sorted({r.page_size for r in results})
    series = []
    for size in sizes:
        values = {r.variant: v for r in results if r.page_size == size and (v := key(r)) is not None}
        series.append((f"{size} items per page", values))
    return series


def plot(out: Path, results: list[Result], deep: list[tuple[int, float]]) -> None:
    # matplotlib takes a second to import; only the plotting step needs it.
    import matplotlib

    matplotlib.use("Agg")  # before pyplot: no display here
    import matplotlib.pyplot as plt  # after use("Agg"), which must come first

    rows = variants_in_order(results)
    tall = max(4.0, 0.42 * len(rows) + 1.5)
    for name, key, xlabel, title, scale in (
        ("throughput.png", lambda r: r.rps, "requests/s", "Throughput per variant and page size", "linear"),
        # log: from a few hundred µs (cache hits) to tens of ms (naive), both readable
        ("cpu.png", lambda r: r.cpu_us_per_request,
         "server workers' CPU µs per request (log scale; lower is better)",
         "Server CPU time per request, per variant and page size", "log"),
    ):  # fmt: skip
        fig, ax = plt.subplots(figsize=(10, tall))
        grouped_rows(ax, rows, by_size(results, key), lambda x: f"{x:,.0f}")
        ax.set_xscale(scale)
        ax.set_xlabel(xlabel)
        ax.set_title(title)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # outside: over no bar
        fig.tight_layout()
        fig.savefig(out / name, dpi=120)
        plt.close(fig)

    sizes = sorted({r.page_size for r in results})
    fig, axes = plt.subplots(1, len(sizes), figsize=(7 * len(sizes), tall), sharey=True, squeeze=False)
    for ax, size in zip(axes[0], sizes, strict=True):
        at_size = {r.variant: r for r in results if r.page_size == size}
        series = [(label, {v: getattr(r, key) for v, r in at_size.items() if getattr(r, key) > 0})
                  for label, key in (("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"))]  # fmt: skip
        grouped_rows(ax, rows, series)
        ax.set_xscale("log")  # from a few ms (cache hits) to seconds (naive): both readable
        ax.set_xlabel("latency (ms, log scale)")
        ax.set_title(f"{size} items per page")
    axes[0][-1].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)  # outside: over no bar
    fig.suptitle("Latency percentiles per variant")
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
