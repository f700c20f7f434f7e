"""One whole run: the databases, the servers, the measured rounds, the mix, and the report."""

from __future__ import annotations

import datetime
import shutil
import subprocess
from pathlib import Path
from typing import Any

from loadtests.bench import profiling, round_trips, standin
from loadtests.bench.database import ensure_database, prepare_catalog
from loadtests.bench.describe import machine, mongodb_server
from loadtests.bench.environment import bench_environment
from loadtests.bench.locust_runs import run_mix
from loadtests.bench.log import log
from loadtests.bench.modes import mix_seconds
from loadtests.bench.output import write_report
from loadtests.bench.plan import Plan
from loadtests.bench.probes import all_slugs, deep_pages, root_slugs
from loadtests.bench.report import guard_failures
from loadtests.bench.rounds import measure, profile
from loadtests.bench.servers import base_url, free_port, port_of, start_relay, start_server, stop
from loadtests.bench.variants import variant_named


def run(plan: Plan) -> Path:
    """Run the benchmark ``plan`` describes; return its results directory (also copied to
    ``latest``). Fails (SystemExit) when the regression guard does."""
    mode = plan.mode
    timestamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = plan.results_root / timestamp
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = bench_environment(plan.database, port)
    base = base_url(port)
    bases = {"wsgi": base, "asgi": base_url(free_port())}

    ensure_database(env, plan.database)
    processes: list[subprocess.Popen] = []
    own_standin = not plan.stack_mongodb and standin.stack_runs_standin()
    if own_standin:
        log("starting an in-memory MongoDB stand-in for the run (see loadtests/bench/standin.py)")
        mongo, env["MONGODB_URL"] = standin.start(free_port(), mode.products, out / "mongodb.log")
        processes.append(mongo)
    mix: dict[str, Any] = {}
    try:
        # asked before the load: a busy server may not answer after it
        mongodb = mongodb_server(env, own_standin=own_standin)
        seeded_in = prepare_catalog(env, mode)
        processes.append(start_relay(env, out))
        masters = {}
        for interface, url in bases.items():
            masters[interface] = start_server(env, out, interface, port_of(url))
            processes.append(masters[interface])
        roots = root_slugs(base)
        trips = round_trips.count(env, roots[0], mode.page_sizes)
        slugs = all_slugs(base)
        pids = {interface: master.pid for interface, master in masters.items()}
        results = measure(env, bases, mode, out, slugs, trips, pids)
        # after the run, before anything else
        memory = {i: profiling.worker_memory_mb(m.pid) for i, m in masters.items()}
        for variant in plan.profile:
            interface = variant_named(variant).interface
            size = plan.profile_page_size or mode.page_sizes[0]
            profile(env, bases, mode, out, masters[interface].pid, variant, size, slugs)
        deep = deep_pages(base, roots[0], mode.deep_pages)  # before the mix, whose load lingers
        if mode.mix:
            log(f"shoppers and staff: {mode.users} users for {mix_seconds(mode)} s")
            mix = run_mix(env, base, mode, out)
    finally:
        stop(processes)
    meta = {
        "timestamp": timestamp, "mode": plan.mode_name, "products": mode.products,
        "categories": mode.categories, "seconds": mode.seconds, "rounds": mode.rounds, "users": mode.users,
        "workers": int(env["WEB_CONCURRENCY"]),
        "worker_class": env.get("GUNICORN_WORKER_CLASS", "gthread"), "page_sizes": list(mode.page_sizes),
        "seeded_in_seconds": seeded_in, "machine": machine(), "mongodb": mongodb, "mix": mix,
        "mix_skipped": None if mode.mix else "not run in this mode (see MODES in loadtests/bench/modes.py).",
        "worker_memory_mb": memory["wsgi"], "asgi_worker_memory_mb": memory["asgi"],
        "guard_thresholds": plan.thresholds, "locust_processes": mode.locust_processes,
    }  # fmt: skip
    measured = write_report(out, results, meta, deep)
    latest = plan.results_root / "latest"
    shutil.rmtree(latest, ignore_errors=True)
    shutil.copytree(out, latest)
    print((out / "report.md").read_text())
    log(f"results in {out} (and {latest})")
    failures = guard_failures(measured, plan.thresholds)
    if failures:
        raise SystemExit("regression guard: " + "; ".join(failures))
    return out
