"""The runner's options and the plan they make: which mode, its overrides, the guard, the database."""

from pathlib import Path

import pytest

from loadtests.bench.cli import parser
from loadtests.bench.modes import GUARD_THRESHOLDS, LOCUST_PROCESSES, MODES, mix_seconds
from loadtests.bench.paths import RESULTS
from loadtests.bench.plan import plan
from loadtests.bench.report import CPU, GUARDED, RATIOS, RPS


def planned(*argv: str):
    return plan(parser().parse_args(list(argv)))


@pytest.mark.parametrize(
    ("argv", "name"),
    [((), "default"), (("--quick",), "quick"), (("--tiny",), "tiny"), (("--large",), "large")],
)
def test_each_size_flag_names_its_mode_and_runs_it_as_declared(argv, name):
    run = planned(*argv)
    assert run.mode_name == name
    assert run.mode == MODES[name]


def test_the_size_flags_exclude_one_another(capsys):
    with pytest.raises(SystemExit):
        parser().parse_args(["--quick", "--tiny"])
    assert "not allowed with argument" in capsys.readouterr().err


def test_options_override_the_mode_and_keep_the_rest():
    run = planned("--quick", "--products", "5000", "--categories", "12", "--seconds", "3", "--users", "7",
                  "--rounds", "2")  # fmt: skip
    quick = MODES["quick"]
    assert (run.mode.products, run.mode.categories, run.mode.seconds, run.mode.users, run.mode.rounds) == (
        5000, 12, 3, 7, 2,
    )  # fmt: skip
    assert (run.mode.deep_pages, run.mode.page_sizes, run.mode.mix) == (
        quick.deep_pages,
        quick.page_sizes,
        quick.mix,
    )


def test_the_guard_uses_the_runners_thresholds_unless_told_and_zero_turns_a_ratio_off():
    assert planned().thresholds == GUARD_THRESHOLDS == {
        "uncached": 0.7, "cached": 0.75, "cached-cpu": 1.25, "asgi-healthz-cpu": 1.4, "asgi-cached-cpu": 1.4,
        "asgi-uncached-cpu": 1.2,
    }  # fmt: skip
    assert planned("--guard-uncached", "0.9").thresholds == {**GUARD_THRESHOLDS, "uncached": 0.9}
    without_cached = {k: v for k, v in GUARD_THRESHOLDS.items() if k != "cached"}
    assert planned("--guard-cached", "0").thresholds == without_cached
    assert planned("--guard-cached-cpu", "1.1").thresholds["cached-cpu"] == 1.1
    assert planned("--guard-asgi-uncached-cpu", "0").thresholds.keys() == GUARD_THRESHOLDS.keys() - {
        "asgi-uncached-cpu"
    }


def test_every_guard_key_names_a_ratio_the_report_takes():
    names = {(spec.name, measure) for spec in RATIOS for measure in (RPS, CPU)}
    assert GUARDED.keys() == GUARD_THRESHOLDS.keys()
    assert set(GUARDED.values()) <= names


def test_locust_forks_into_processes_unless_told_otherwise():
    assert planned().mode.locust_processes == planned("--tiny").mode.locust_processes == LOCUST_PROCESSES
    assert planned("--locust-processes", "0").mode.locust_processes == 0


def test_the_tiny_mode_guards_nothing_and_has_a_database_of_its_own():
    tiny = planned("--tiny", "--guard-uncached", "0.9")
    assert tiny.thresholds == {}
    assert tiny.database == "bench_tiny"
    assert planned("--quick").database == planned().database == "bench_catalog"
    assert planned("--tiny", "--database", "mine").database == "mine"


def test_results_go_under_loadtests_results_unless_out_names_a_directory():
    assert planned().results_root == RESULTS == Path(__file__).resolve().parents[2] / "loadtests" / "results"
    assert planned("--out", "/tmp/x").results_root == Path("/tmp/x")


def test_profile_alone_samples_ours_uncached_and_takes_a_list_of_known_variants():
    assert planned().profile == ()
    assert planned("--profile").profile == ("ours-uncached",)
    assert planned("--profile", "limit,asgi-cached").profile == ("limit", "asgi-cached")
    assert planned("--profile-page-size", "100").profile_page_size == 100
    with pytest.raises(SystemExit, match="no variant named 'nope'"):
        planned("--profile", "limit,nope")


def test_stack_mongodb_is_off_unless_asked():
    assert planned().stack_mongodb is False
    assert planned("--stack-mongodb").stack_mongodb is True


def test_the_mix_runs_at_least_six_seconds():
    assert mix_seconds(MODES["tiny"]) == 6
    assert mix_seconds(MODES["default"]) == 10
