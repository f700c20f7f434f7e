"""The variants table and the order rounds measure it in."""

import pytest

from loadtests.bench.variants import VARIANTS, in_round_order, measured_at, on_interface, variant_named


def names(variants):
    return [v.name for v in variants]


def test_the_fixed_page_is_measured_at_the_first_page_size_only():
    assert names(measured_at(24, (24, 100))) == names(VARIANTS)
    assert "ceiling" not in names(measured_at(100, (24, 100)))
    assert len(measured_at(100, (24, 100))) == len(VARIANTS) - 1


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
    assert names(on_interface("asgi")) == ["asgi-uncached", "asgi-cached"]
    assert len(on_interface("wsgi")) == len(VARIANTS) - 2
    assert variant_named("limit").path == "/bench/limit/{slug}/products/"
    with pytest.raises(KeyError):
        variant_named("nope")
