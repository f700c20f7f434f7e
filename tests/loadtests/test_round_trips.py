"""The round-trip counter's protocol: what the program prints, and how the runner reads it."""

import json

from loadtests.bench.round_trips import PREFIX, key, parse, per_alias


def test_the_runner_reads_the_programs_line_among_others():
    counts = {key("limit", 24): [{"replica1": 1}, 1], key("ours-cached", 100): [{}, 0]}
    output = f"some warning\n{PREFIX}{json.dumps(counts)}\nanother line\n"
    assert parse(output) == {("limit", 24): ({"replica1": 1}, 1), ("ours-cached", 100): ({}, 0)}


def test_a_variant_name_with_a_dash_survives_the_key():
    output = PREFIX + json.dumps({key("asgi-uncached", 24): [{"replica2": 1}, 1]})
    assert parse(output) == {("asgi-uncached", 24): ({"replica2": 1}, 1)}


def test_async_statements_are_counted_per_alias():
    statements = [("replica1", "SELECT 1"), ("default", "SELECT 2"), ("replica1", "SELECT 3")]
    assert per_alias(statements) == {"replica1": 2, "default": 1}
    assert per_alias([]) == {}
