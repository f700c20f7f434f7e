"""The variants table and the order rounds measure it in."""

import pytest

from loadtests.bench.variants import VARIANTS, in_round_order, measured_at, on_interface, variant_named


def names(variants):
    return [v.name for v in variants]


def test_the_fixed_page_and_the_health_check_are_measured_at_the_first_page_size_only():
    assert names(measured_at(24, (24, 100))) == names(VARIANTS)
    once = {"ceiling", "healthz", "asgi-healthz"}
    assert names(measured_at(100, (24, 100))) == [v.name for v in VARIANTS if v.name not in once]


def test_the_health_check_is_checked_by_status_and_runs_on_both_interfaces():
    assert {variant_named(n).check for n in ("healthz", "asgi-healthz")} == {"status"}
    assert variant_named("healthz").path == variant_named("asgi-healthz").path == "/healthz"
    assert (variant_named("healthz").interface, variant_named("asgi-healthz").interface) == ("wsgi", "asgi")
    assert all(v.check == "page" for v in VARIANTS if not v.name.endswith("healthz"))
    assert variant_named("asgi-limit").path == variant_named("limit").path


def test_every_other_round_runs_the_table_backwards():
    variants = measured_at(24, (24,))
    assert in_round_order(variants, 0) == variants
    assert in_round_order(variants, 1) == variants[::-1]
    assert in_round_order(variants, 2) == variants


def test_each_ratio_pair_is_adjacent_so_drift_touches_both_sides_alike():
    order = names(VARIANTS)
    for first, second in (("limit", "ours-uncached"), ("constant", "ours-cached")):
        assert order.index(second) - order.index(first) == 1


def test_variants_by_interface_and_by_name():
    assert names(on_interface("asgi")) == ["asgi-healthz", "asgi-limit", "asgi-uncached", "asgi-cached"]
    assert len(on_interface("wsgi")) == len(VARIANTS) - 4
    assert variant_named("limit").path == "/bench/limit/{slug}/products/"
    with pytest.raises(KeyError):
        variant_named("nope")
