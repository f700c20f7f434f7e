"""Locust's statistics read into figures, and a variant's rounds averaged into one result."""

import csv
from pathlib import Path

from loadtests.bench.locust_runs import (
    locust_command,
    mix_figures,
    read_stats,
    variant_environment,
    variant_result,
)
from loadtests.bench.report import Result
from loadtests.bench.rounds import averaged, round_suffix
from loadtests.bench.variants import variant_named

# The columns of Locust's <prefix>_stats.csv, as it writes them.
HEADER = [
    "Type", "Name", "Request Count", "Failure Count", "Median Response Time", "Average Response Time",
    "Min Response Time", "Max Response Time", "Average Content Size", "Requests/s", "Failures/s",
    "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%",
]  # fmt: skip


def stats_file(prefix: Path, rows: list[dict[str, str]]) -> Path:
    """Write ``rows`` as Locust writes ``<prefix>_stats.csv`` (absent columns left empty)."""
    with open(f"{prefix}_stats.csv", "w", newline="") as out:
        writer = csv.DictWriter(out, HEADER, restval="")
        writer.writeheader()
        writer.writerows(rows)
    return prefix


def row(type_: str, name: str, count: int, failures: int, rps: float, p50: float, p95: float, p99: float):
    return {"Type": type_, "Name": name, "Request Count": str(count), "Failure Count": str(failures),
            "Requests/s": str(rps), "50%": str(p50), "95%": str(p95), "99%": str(p99)}  # fmt: skip


def test_a_variants_figures_come_from_its_row_named_by_its_path(tmp_path):
    limit = variant_named("limit")
    prefix = stats_file(tmp_path / "limit-24", [
        row("GET", "/bench/limit/[slug]/products/", 193, 2, 192.93550882735826, 20, 61, 81),
        row("", "Aggregated", 193, 2, 192.93550882735826, 20, 61, 81),
    ])  # fmt: skip
    result = variant_result(read_stats(prefix), limit, 24)
    assert result == Result("limit", limit.description, 24, requests=193, failures=2, rps=192.9, p50_ms=20.0,
                            p95_ms=61.0, p99_ms=81.0)  # fmt: skip


def test_no_row_or_no_request_for_the_variant_is_no_result():
    limit = variant_named("limit")
    assert variant_result([row("", "Aggregated", 0, 0, 0, 0, 0, 0)], limit, 24) is None
    assert variant_result([row("GET", "/bench/limit/[slug]/products/", 0, 0, 0, 0, 0, 0)], limit, 24) is None


def test_the_mix_is_keyed_by_type_and_name():
    figures = mix_figures([
        row("POST", "/admin/login/ (POST)", 1, 0, 0.2006, 600, 600, 600),
        row("", "Aggregated", 42, 1, 8.428, 24, 190, 600),
    ])  # fmt: skip
    assert figures == {
        "POST /admin/login/ (POST)": {
            "requests": 1,
            "failures": 0,
            "rps": 0.2,
            "p50_ms": 600.0,
            "p95_ms": 600.0,
        },
        "Aggregated": {"requests": 42, "failures": 1, "rps": 8.4, "p50_ms": 24.0, "p95_ms": 190.0},
    }


def test_rounds_sum_counts_and_average_rates_and_latencies():
    rounds = [
        Result("limit", "d", 24, requests=100, failures=1, rps=100.0, p50_ms=10, p95_ms=30, p99_ms=50),
        Result("limit", "d", 24, requests=130, failures=0, rps=130.5, p50_ms=11, p95_ms=33, p99_ms=61),
    ]
    assert averaged(rounds) == Result("limit", "d", 24, requests=230, failures=1, rps=115.2, p50_ms=10.5,
                                      p95_ms=31.5, p99_ms=55.5)  # fmt: skip
    assert averaged(rounds[:1]) == rounds[0]


def test_rounds_take_cpu_per_request_and_locusts_share_from_their_sums():
    # 0.05 s over 100 requests (500 µs each) and 0.26 s over 200 (1,300 µs): 1,033 µs a request
    # over both, not the mean of the two rounds' figures (900).
    rounds = [
        Result("limit", "d", 24, requests=100, worker_cpu_seconds=0.05, locust_cpu_seconds=1.0,
               locust_wall_seconds=2.0, locust_cores=2, locust_cpu_share=0.25),
        Result("limit", "d", 24, requests=200, worker_cpu_seconds=0.26, locust_cpu_seconds=3.0,
               locust_wall_seconds=2.0, locust_cores=2, locust_cpu_share=0.75),
    ]  # fmt: skip
    result = averaged(rounds)
    assert (result.worker_cpu_seconds, result.cpu_us_per_request) == (0.31, 1033.3)
    assert (result.locust_cpu_seconds, result.locust_wall_seconds, result.locust_cores) == (4.0, 4.0, 2)
    assert result.locust_cpu_share == 0.5  # 4 s of CPU over 4 s on 2 cores
    unmeasured = averaged([Result("limit", "d", 24, requests=10)])
    assert unmeasured.cpu_us_per_request is None and unmeasured.locust_cpu_share is None


def test_round_files_are_numbered_only_when_there_are_several():
    assert round_suffix(0, 1) == ""
    assert [round_suffix(n, 4) for n in range(4)] == ["-round1", "-round2", "-round3", "-round4"]


def test_locust_runs_headless_bounded_in_time_with_every_user_at_once(tmp_path):
    command = locust_command(["VariantUser"], 50, 6, 5, "http://127.0.0.1:9", tmp_path / "limit-24")
    assert command[1:5] == ["-m", "locust", "-f", "loadtests/locustfile.py"]
    options = " ".join(command[5:])
    assert options == (f"VariantUser --headless -u 50 -r 50 -t 6s --stop-timeout 5 --host http://127.0.0.1:9 "
                       f"--csv {tmp_path}/limit-24 --html {tmp_path}/limit-24.html --only-summary "
                       "--loglevel WARNING")  # fmt: skip


def test_locust_forks_into_processes_only_when_asked(tmp_path):
    forked = locust_command(["VariantUser"], 50, 6, 5, "http://127.0.0.1:9", tmp_path / "x", processes=2)
    assert forked[forked.index("--processes") + 1] == "2"
    assert "--processes" not in locust_command(
        ["VariantUser"], 50, 6, 5, "http://127.0.0.1:9", tmp_path / "x"
    )


def test_the_variant_user_is_pointed_at_the_variant_and_the_fixed_page_is_bounded():
    env = variant_environment({"KEEP": "1"}, variant_named("ceiling"), 24, ["a", "b"])
    assert env == {"KEEP": "1", "BENCH_PATH": "/bench/ceiling/{slug}/products/", "BENCH_PAGE_SIZE": "24",
                   "BENCH_SLUGS": "a,b", "BENCH_MAX_ITEMS": "50", "BENCH_CHECK": "page",
                   "BENCH_CHECK_EVERY": "10"}  # fmt: skip
    assert "BENCH_MAX_ITEMS" not in variant_environment({}, variant_named("limit"), 100, ["a"])
    assert variant_environment({}, variant_named("asgi-healthz"), 24, ["a"])["BENCH_CHECK"] == "status"
