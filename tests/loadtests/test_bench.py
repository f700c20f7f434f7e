"""The benchmark runner, end to end, in its tiny mode (seconds): stack, seed, gunicorn, Locust, report."""

import json

import pytest

from loadtests.bench import cli
from loadtests.bench.modes import LOCUST_PROCESSES
from loadtests.bench.report import CPU, RATIOS, RPS, Result, guard_failures, ratios


@pytest.mark.stack
def test_the_runner_measures_every_variant_and_writes_the_report(tmp_path):
    # Not "test_catalog_...": the stand-in drops every database whose name starts with a dropped one's.
    out = cli.main(["--tiny", "--database", "bench_for_tests", "--out", str(tmp_path)])
    report = json.loads((out / "report.json").read_text())
    variants = [r["variant"] for r in report["results"]]
    assert variants == [
        "ceiling", "healthz", "naive", "seed-style", "limit", "ours-uncached", "constant", "ours-cached",
        "asgi-healthz", "asgi-limit", "asgi-uncached", "asgi-cached",
    ]  # fmt: skip
    for result in report["results"]:
        assert result["requests"] > 0 and result["failures"] == 0, result
        assert result["rps"] > 0 and result["ratio_to_ceiling"] > 0
        # the workers' CPU per request, from the kernel: more than nothing, less than a second
        assert 0 < result["cpu_us_per_request"] < 1_000_000, result
        assert result["locust_cores"] >= 1 and 0 < result["locust_cpu_share"] <= 1.5, result
    by_name = {r["variant"]: r for r in report["results"]}
    assert by_name["naive"]["mongo_round_trips"] > 1  # one find_one per row
    assert by_name["ours-uncached"]["mongo_round_trips"] == 1
    assert sum(by_name["ours-uncached"]["sql_queries"].values()) <= 2
    assert "default" not in by_name["ours-uncached"]["sql_queries"]  # on a replica
    assert by_name["ours-cached"]["sql_queries"] == {} and by_name["ours-cached"]["mongo_round_trips"] == 0
    assert sum(by_name["limit"]["sql_queries"].values()) == 1 and by_name["limit"]["mongo_round_trips"] == 1
    assert {r["name"] for r in report["ratios"]} == {spec.name for spec in RATIOS}
    assert {r["measure"] for r in report["ratios"]} == {RPS, CPU}
    assert all(r["value"] > 0 for r in report["ratios"]), report["ratios"]
    assert report["generator"]["processes"] == LOCUST_PROCESSES
    assert isinstance(report["generator"]["bottleneck"], bool) and report["generator"]["peak_share"] > 0
    assert by_name["asgi-limit"]["mongo_round_trips"] == 1
    assert sum(by_name["asgi-limit"]["sql_queries"].values()) == 1
    assert by_name["healthz"]["sql_queries"] == {} and by_name["asgi-healthz"]["mongo_round_trips"] == 0
    for workers in (report["worker_memory_mb"], report["asgi_worker_memory_mb"]):
        assert len(workers) == 2 and all(0 < mb < 1000 for mb in workers)
    assert by_name["asgi-uncached"]["mongo_round_trips"] == 1
    assert sum(by_name["asgi-uncached"]["sql_queries"].values()) == 1
    assert "default" not in by_name["asgi-uncached"]["sql_queries"]
    assert by_name["asgi-cached"]["sql_queries"] == {} and by_name["asgi-cached"]["mongo_round_trips"] == 0
    mix = report["mix"]
    assert mix["GET /api/v1/categories/[slug]/products/"]["requests"] > 0
    assert mix["POST /admin/login/ (POST)"]["failures"] == 0
    assert mix["CHECK staff edit visible to shoppers"]["requests"] >= 1
    assert mix["CHECK staff edit visible to shoppers"]["failures"] == 0
    assert all(row["failures"] == 0 for row in mix.values()), mix
    assert report["deep_pages_ms"] and report["mongodb"] and report["machine"]["cores"]
    for name in (
        "report.md",
        "throughput.png",
        "cpu.png",
        "latency.png",
        "deep_pages.png",
        "ceiling-24.html",
        "naive-24_stats.csv",
    ):
        assert (out / name).stat().st_size > 0
    assert (tmp_path / "latest" / "report.md").read_text() == (out / "report.md").read_text()
    markdown = (out / "report.md").read_text()
    assert "CPU µs / request" in markdown and "Locust CPU" in markdown
    assert "bottleneck" in markdown or "set the pace" in markdown


def test_ratios_are_taken_per_page_size_and_the_guard_names_the_one_that_fell_short():
    results = [
        Result(name, "", size, rps=rps)
        for size, figures in {
            24: {"constant": 1000, "limit": 400, "ours-cached": 900, "ours-uncached": 360, "seed-style": 100,
                 "naive": 60},
            100: {"constant": 800, "limit": 300, "ours-cached": 560, "ours-uncached": 200, "seed-style": 50,
                  "naive": 20},
        }.items()
        for name, rps in figures.items()
    ]  # fmt: skip
    measured = {(r.name, r.page_size): r for r in ratios(results) if r.measure == RPS}
    assert measured["ours uncached ÷ limit", 24].value == 0.9 and measured["ours uncached ÷ limit", 24].met
    assert measured["ours cached ÷ constant page", 100].value == 0.7
    assert measured["ours cached ÷ constant page", 100].met is False  # target 0.85
    assert (
        measured["ours uncached ÷ seed-style", 24].value == 3.6
        and measured["ours uncached ÷ seed-style", 24].met
    )
    assert measured["ours uncached ÷ naive", 100].target == 5.0 and measured["ours uncached ÷ naive", 100].met

    assert guard_failures(list(measured.values()), {"uncached": 0.6, "cached": 0.6}) == []
    failures = guard_failures(list(measured.values()), {"uncached": 0.7, "cached": 0.75})
    assert failures == [
        "ours uncached ÷ limit at 100 items is 0.667, under the guard's 0.7",
        "ours cached ÷ constant page at 100 items is 0.7, under the guard's 0.75",
    ]
    assert len(guard_failures(list(measured.values()), {"uncached": 0.95})) == 2  # 0.9 and 0.667
