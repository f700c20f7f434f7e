"""The benchmark runner, end to end, in its tiny mode (seconds): stack, seed, gunicorn, Locust, report."""

import json

import pytest

from loadtests import bench


@pytest.mark.stack
def test_the_runner_measures_every_variant_and_writes_the_report(tmp_path):
    # Not "test_catalog_...": the stand-in drops every database whose name starts with a dropped one's.
    out = bench.main(["--tiny", "--database", "bench_for_tests", "--out", str(tmp_path)])
    report = json.loads((out / "report.json").read_text())
    variants = [r["variant"] for r in report["results"]]
    assert variants == ["ceiling", "naive", "seed-style", "ours-uncached", "ours-cached"]
    for result in report["results"]:
        assert result["requests"] > 0 and result["failures"] == 0, result
        assert result["rps"] > 0 and result["ratio_to_ceiling"] > 0
    by_name = {r["variant"]: r for r in report["results"]}
    assert by_name["naive"]["mongo_round_trips"] > 1  # one find_one per row
    assert by_name["ours-uncached"]["mongo_round_trips"] == 1
    assert sum(by_name["ours-uncached"]["sql_queries"].values()) <= 2
    assert "default" not in by_name["ours-uncached"]["sql_queries"]  # on a replica
    assert by_name["ours-cached"]["sql_queries"] == {} and by_name["ours-cached"]["mongo_round_trips"] == 0
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
        "latency.png",
        "deep_pages.png",
        "ceiling.html",
        "naive_stats.csv",
    ):
        assert (out / name).stat().st_size > 0
    assert (tmp_path / "latest" / "report.md").read_text() == (out / "report.md").read_text()
