"""The bottleneck rule: when the report says the load generator, not the server, set the pace."""

from loadtests.bench.generator import bottleneck_reasons
from loadtests.bench.report import Result, generator_check


def test_a_generator_under_its_limits_is_not_the_bottleneck():
    assert bottleneck_reasons({"ceiling, 24 items": 0.6, "limit, 24 items": None}, 2600, 2000) == []


def test_locust_over_ninety_percent_of_its_cores_is_named_with_the_window():
    reasons = bottleneck_reasons({"ceiling, 24 items": 0.95, "naive, 24 items": 0.1}, 2600, 2000)
    assert reasons == ["Locust used 95% of its cores during ceiling, 24 items (over 90%)"]
    assert bottleneck_reasons({"x": 0.9}, None, None) == []  # at 90 %, not over it


def test_a_ceiling_within_ten_percent_of_the_constant_page_is_the_generators_limit():
    assert bottleneck_reasons({}, 2150, 2000) == [
        "the ceiling served 2150 req/s, under 1.1 times the constant page's 2000"
    ]
    assert bottleneck_reasons({}, 2200, 2000) == []  # exactly 1.1 times: clear of it
    assert bottleneck_reasons({}, 1500, 2000)  # slower than the constant page: held back too
    assert bottleneck_reasons({}, None, 2000) == []  # not measured: no verdict


def test_the_reports_check_reads_the_first_page_sizes_ceiling_and_constant_page():
    results = [
        Result("ceiling", "", 24, rps=2100, locust_cpu_share=0.5),
        Result("constant", "", 24, rps=2000, locust_cpu_share=0.92),
        Result("constant", "", 100, rps=1000, locust_cpu_share=0.4),
        Result("naive", "", 100, rps=10),  # Locust's share not measured
    ]
    check = generator_check(results)
    assert check["bottleneck"] is True and check["peak_share"] == 0.92
    assert check["reasons"] == [
        "Locust used 92% of its cores during constant, 24 items (over 90%)",
        "the ceiling served 2100 req/s, under 1.1 times the constant page's 2000",
    ]
    clear = generator_check([Result("ceiling", "", 24, rps=3000), Result("constant", "", 24, rps=2000)])
    assert clear == {"bottleneck": False, "reasons": [], "peak_share": None}
