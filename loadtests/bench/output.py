"""The report files of a run: report.json, report.md and the PNG plots."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from loadtests.bench.markdown import markdown
from loadtests.bench.plots import plot
from loadtests.bench.report import Ratio, Result, generator_check, ratios


def write_report(
    out: Path, results: list[Result], meta: dict[str, Any], deep: list[tuple[int, float]]
) -> list[Ratio]:
    """Write report.json, report.md and the plots to ``out``; return the ratios."""
    ceiling = next((r.rps for r in results if r.variant == "ceiling"), 0)
    for result in results:
        result.ratio_to_ceiling = round(result.rps / ceiling, 3) if ceiling else None
    measured = ratios(results)
    generator = {**generator_check(results), "processes": meta.get("locust_processes", 0)}
    report = {
        **meta,
        "results": [asdict(r) for r in results],
        "ratios": [{**asdict(r), "met": r.met} for r in measured],
        "generator": generator,
        "deep_pages_ms": deep,
    }
    (out / "report.json").write_text(json.dumps(report, indent=2))
    (out / "report.md").write_text(markdown(results, measured, meta, deep, generator))
    plot(out, results, deep)
    return measured
