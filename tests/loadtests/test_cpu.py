"""CPU accounting: the workers' CPU time per request from two samples, and the load generator's
share of its cores from its processes' records."""

import json
import os
import subprocess
import sys
import time

from loadtests.bench.cpu import (
    GeneratorUse,
    combined,
    cpu_used,
    generator_cores,
    generator_use,
    per_request_us,
    read_records,
    worker_cpu,
)


def test_the_workers_cpu_is_the_difference_of_two_samples_over_the_requests():
    before = {101: 10.0, 102: 20.0}
    after = {101: 10.6, 102: 20.4}
    assert round(cpu_used(before, after), 6) == 1.0
    assert per_request_us(1.0, 2000) == 500.0
    assert per_request_us(1.0, 0) is None


def test_a_worker_replaced_inside_the_window_counts_all_of_its_time_and_the_gone_one_none():
    before = {101: 10.0, 102: 20.0}
    after = {101: 10.5, 103: 0.25}  # 102 exited, 103 started during the window
    assert round(cpu_used(before, after), 6) == 0.75


def test_the_generators_share_is_its_cpu_over_the_window_and_its_cores():
    records = [
        {"cpu": 0.1, "start": 100.0, "stop": 106.0},  # the master: little work
        {"cpu": 4.0, "start": 100.2, "stop": 106.0},
        {"cpu": 4.3, "start": 100.1, "stop": 106.1},
    ]
    use = generator_use(records, cores=2)
    assert use == GeneratorUse(8.4, 6.1, 2)
    assert use.share == round(8.4 / (6.1 * 2), 3) == 0.689
    assert generator_use([], cores=2) is None
    assert GeneratorUse(1.0, 0.0, 1).share is None


def test_locust_has_a_core_per_process_at_most_the_machines():
    assert generator_cores(0, 2) == 1  # no --processes: one process
    assert generator_cores(2, 2) == 2
    assert generator_cores(4, 2) == 2
    assert generator_cores(-1, 8) == 1  # not a count (Locust's "one per core" is never passed)


def test_windows_combine_into_one_share():
    uses = [GeneratorUse(1.0, 2.0, 2), None, GeneratorUse(3.0, 2.0, 2)]
    assert combined(uses) == GeneratorUse(4.0, 4.0, 2)
    assert combined(uses).share == 0.5
    assert combined([None]) is None


def test_the_records_are_read_from_every_file_of_the_directory(tmp_path):
    for pid, cpu in ((11, 1.5), (12, 2.5)):
        (tmp_path / f"locust-{pid}.json").write_text(json.dumps({"cpu": cpu, "start": 1.0, "stop": 3.0}))
    assert [r["cpu"] for r in read_records(tmp_path)] == [1.5, 2.5]
    assert read_records(tmp_path / "none") == []


def test_a_child_processes_cpu_time_is_read_from_the_kernel():
    # A child that burns ~0.3 s of CPU, then waits to be read: its time shows in the sample.
    burn = (
        "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\ntime.sleep(30)"
    )
    child = subprocess.Popen([sys.executable, "-c", burn])
    try:
        deadline = time.monotonic() + 20
        used = 0.0
        while time.monotonic() < deadline:
            used = worker_cpu(os.getpid()).get(child.pid, 0.0)
            if used >= 0.3:
                break
            time.sleep(0.05)
        assert 0.3 <= used < 5
    finally:
        child.kill()
        child.wait(10)
