"""The ratios on both measures (req/s, and the workers' CPU per request), their targets, and the
regression guard on the CPU ratios."""

from loadtests.bench.report import CPU, RPS, Result, guard_failures, ratios


def results(figures: dict[int, dict[str, tuple[float, float]]]) -> list[Result]:
    """Results from page size -> variant -> (req/s, CPU µs per request)."""
    return [
        Result(name, "", size, rps=rps, cpu_us_per_request=cpu)
        for size, variants in figures.items()
        for name, (rps, cpu) in variants.items()
    ]


RUN = results({
    24: {"ceiling": (2600, 480), "healthz": (2800, 450), "asgi-healthz": (900, 2000), "constant": (2000, 500),
         "ours-cached": (1900, 560), "asgi-cached": (1000, 600), "ours-uncached": (500, 2000),
         "asgi-uncached": (400, 2100), "limit": (520, 1900), "asgi-limit": (200, 4500)},
    100: {"constant": (1500, 700), "ours-cached": (1400, 850), "asgi-cached": (800, 1000),
          "ours-uncached": (300, 3000), "asgi-uncached": (250, 3600)},
})  # fmt: skip


def by_key(measured):
    return {(r.name, r.page_size, r.measure): r for r in measured}


def test_every_ratio_is_taken_on_both_measures():
    measured = by_key(ratios(RUN))
    cached = (
        measured["ours cached ÷ constant page", 24, RPS],
        measured["ours cached ÷ constant page", 24, CPU],
    )
    assert (cached[0].value, cached[1].value) == (0.95, 1.12)
    assert (cached[0].target, cached[1].target) == (0.85, 1.15)
    assert cached[0].met and cached[1].met  # 1.12 CPU is under its 1.15 maximum


def test_a_cpu_ratio_meets_its_target_at_or_under_it_and_misses_over_it():
    measured = by_key(ratios(RUN))
    assert measured["ours cached ÷ constant page", 100, CPU].value == 1.214
    assert measured["ours cached ÷ constant page", 100, CPU].met is False
    assert measured["ASGI uncached ÷ WSGI uncached", 24, CPU].value == 1.05
    assert measured["ASGI uncached ÷ WSGI uncached", 24, CPU].met  # target 1.1
    assert measured["ASGI uncached ÷ WSGI uncached", 100, CPU].met is False  # 1.2
    assert measured["ASGI cached ÷ WSGI cached", 24, CPU].target == 1.25
    assert measured["ASGI limit ÷ WSGI limit", 24, CPU].target is None  # reported only
    assert measured["ASGI limit ÷ WSGI limit", 24, CPU].met is None


def test_the_health_check_and_the_ceiling_are_compared_once_at_the_first_page_size():
    measured = by_key(ratios(RUN))
    healthz = measured["ASGI healthz ÷ WSGI healthz", 24, CPU]
    assert (healthz.value, healthz.target, healthz.met) == (4.444, 1.25, False)
    ceiling = measured["ceiling ÷ ours cached", 24, RPS]
    assert (ceiling.value, ceiling.target, ceiling.met) == (1.368, 1.3, True)
    assert not any(size == 100 for name, size, _ in measured if name.startswith(("ASGI healthz", "ceiling")))


def test_a_side_without_cpu_figures_gives_no_cpu_ratio():
    measured = by_key(ratios([Result("limit", "", 24, rps=100), Result("ours-uncached", "", 24, rps=90)]))
    assert measured["ours uncached ÷ limit", 24, RPS].value == 0.9
    assert measured["ours uncached ÷ limit", 24, CPU].value is None


def test_the_guard_fails_a_cpu_ratio_over_its_threshold_and_names_it():
    measured = ratios(RUN)
    failures = guard_failures(
        measured, {"cached-cpu": 1.2, "asgi-uncached-cpu": 1.2, "asgi-healthz-cpu": 1.4}
    )
    assert failures == [
        "ours cached ÷ constant page (CPU per request) at 100 items is 1.214, over the guard's 1.2",
        "ASGI healthz ÷ WSGI healthz (CPU per request) at 24 items is 4.444, over the guard's 1.4",
    ]  # asgi-uncached: 1.05 and 1.2, not over 1.2
    assert guard_failures(measured, {"cached-cpu": 1.25, "asgi-cached-cpu": 1.4}) == []
    # the req/s guard still reads the req/s ratio of the same pair, not its CPU one
    assert guard_failures(measured, {"cached": 0.94}) == [
        "ours cached ÷ constant page at 100 items is 0.933, under the guard's 0.94"
    ]
