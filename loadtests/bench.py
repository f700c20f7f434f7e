"""The benchmark runner: every listing variant under the same load, side by side, in one run.

    make bench                     # 100,000 products, 300 categories
    make bench-quick               # 20,000 products, about nine minutes
    bin/with-stack .venv/bin/python -m loadtests.bench --tiny --out /tmp/bench   # seconds (tests)

It uses the stack the environment names (``bin/with-stack`` starts it), in databases of its own
(``bench_catalog`` unless ``--database``), seeds the catalog when its size differs, starts
gunicorn with ``config/gunicorn.conf.py`` and production settings on 127.0.0.1, and runs Locust
headless, bounded in time, against each variant in turn (twice, in alternating order). When the
stack's MongoDB is the stand-in, the run reads from an in-memory stand-in of its own
(``loadtests/standin.py`` says why; ``--stack-mongodb`` keeps the stack's). Results go to
``loadtests/results/<timestamp>/`` and ``loadtests/results/latest/``: report.md, report.json,
Locust's HTML and CSV files, and PNG plots.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from loadtests import profiling, standin
from loadtests.report import Result, guard_failures, write_report

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "loadtests" / "results"
PYTHON = sys.executable


@dataclass(frozen=True)
class Variant:
    name: str
    path: str
    max_items: int | None = None
    description: str = ""
    every_size: bool = True  # False: measured once, at the first page size (its page is fixed)
    interface: str = "wsgi"  # the server it runs on: gunicorn's sync workers, or uvicorn workers


# Each ratio's two sides run one after the other, so drift in the machine's speed during the
# run touches them alike.
VARIANTS = (
    Variant("ceiling", "/bench/ceiling/{slug}/products/", 50, "a constant 50-item JSON page", False),
    Variant("naive", "/bench/naive/{slug}/products/", None, "lazy foreign key + one find_one per row"),
    Variant("seed-style", "/bench/seed-style/{slug}/products/", None, "one find_one per instance (write-up)"),
    Variant("limit", "/bench/limit/{slug}/products/", None, "by hand: 1 raw SQL query, 1 find, orjson"),
    Variant("ours-uncached", "/bench/ours-uncached/{slug}/products/", None, "the real listing, cache off"),
    Variant("constant", "/bench/constant/{slug}/products/", None, "a real page of this size, held in memory"),
    Variant("ours-cached", "/api/v1/categories/{slug}/products/", None, "the real endpoint, cache on"),
    Variant(
        "asgi-uncached",
        "/bench/ours-uncached/{slug}/products/",
        None,
        "the async listing, cache off (uvicorn workers)",
        interface="asgi",
    ),
    Variant(
        "asgi-cached",
        "/api/v1/categories/{slug}/products/",
        None,
        "the async endpoint, cache on (uvicorn workers)",
        interface="asgi",
    ),
)


@dataclass(frozen=True)
class Mode:
    products: int
    categories: int
    seconds: int
    users: int
    deep_pages: int
    page_sizes: tuple[int, ...] = (24, 100)
    mix: bool = True
    # Each variant is measured this many times, in alternating order: one window of a variant
    # varied by up to 30 % from the next, more than the 5 % a target can hinge on.
    rounds: int = 4


MODES = {
    "default": Mode(100_000, 300, 10, 50, 400),
    "quick": Mode(20_000, 60, 6, 50, 100),
    "tiny": Mode(300, 6, 2, 5, 5, page_sizes=(24,), rounds=1),  # proves the runner works, in seconds
    # At 1,000,000 the mix's document-driven filters scan the stand-in (it has no secondary
    # indexes) until it stops answering; the large run is about the variants and deep pages.
    "large": Mode(1_000_000, 300, 10, 50, 1000, mix=False, rounds=2),
}
# The regression guard (issue 11): the run fails when a guarded ratio falls under its threshold.
# These are the runner's settings; --guard-uncached / --guard-cached override them.
GUARD_THRESHOLDS = {"uncached": 0.7, "cached": 0.75}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def bench_environment(database: str, port: int) -> dict[str, str]:
    """Return the environment of every process of the run: its own databases, production settings."""
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        raise SystemExit("no stack: run through bin/with-stack (make bench does)")
    env["DATABASE_URL"] = with_database(env["DATABASE_URL"], database)
    replicas = [u for u in env.get("DATABASE_REPLICA_URLS", "").split(",") if u]
    env["DATABASE_REPLICA_URLS"] = ",".join(with_database(u, database) for u in replicas)
    env.update({
        "MONGODB_DATABASE": database,
        "CACHE_KEY_PREFIX": database,
        "DJANGO_SETTINGS_MODULE": "loadtests.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY") or "bench-" + "k" * 50,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_PRIMARY_READ_GUARD": "off",
        # Plain HTTP on loopback, and many requests from one address: the benchmark measures the
        # listing, not the HTTPS redirect or the per-client rate limit.
        "DJANGO_HTTPS": "false",
        "API_THROTTLE_RATE": "",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": env.get("BENCH_WORKERS", "2"),
        # No recycling: at these rates a worker reached max_requests every ~12 s, and a restart
        # (fork, imports, cold connections) inside a 6 s window measured itself, not the variant;
        # the memory figure then also comes from workers that served the whole run.
        "GUNICORN_MAX_REQUESTS": "0",
        # The cached variant measures hits. With the 60 s default, entries built by one round's
        # warm-up went stale during the next round, and their rebuilds (an uncached listing
        # each, 300 categories at 100k) landed inside the measured window. Invalidation is exact
        # (generations), so the TTL is only a safety net; rebuild cost is the uncached variant's.
        "CACHE_LISTING_TTL": "3600",
        "GUNICORN_LOG_LEVEL": "warning",
        "DJANGO_SUPERUSER_USERNAME": "bench-staff",
        "DJANGO_SUPERUSER_PASSWORD": "bench-staff-password",
        "LOCUST_STAFF_USERNAME": "bench-staff",
        "LOCUST_STAFF_PASSWORD": "bench-staff-password",
    })  # fmt: skip
    return env


def ensure_database(env: dict[str, str], database: str) -> None:
    import psycopg

    primary = urlsplit(env["DATABASE_URL"])
    admin = dict(host=primary.hostname, port=primary.port or 5432, user=primary.username or "catalog",
                 password=primary.password, dbname="postgres", autocommit=True)  # fmt: skip
    with psycopg.connect(**admin) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{database}"')
    for url in filter(None, env["DATABASE_REPLICA_URLS"].split(",")):  # replication brings it over
        replica = urlsplit(url)
        deadline = time.monotonic() + 60
        while True:
            try:
                psycopg.connect(host=replica.hostname, port=replica.port, user=replica.username,
                                dbname=database, connect_timeout=2).close()  # fmt: skip
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True,
                            text=True)  # fmt: skip
    return result.stdout


COUNT_SCRIPT = (
    "from catalog.models import Product; from catalog_service.documents.client import get_collection; "
    "print(Product.objects.count(), get_collection(Product).estimated_document_count())"
)


def prepare_catalog(env: dict[str, str], mode: Mode) -> float | None:
    """Migrate and seed when the catalog's size differs; return the seconds seeding took."""
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "ensure_document_indexes")
    manage(env, "ensure_superuser")
    counted = manage(env, "shell", "-c", COUNT_SCRIPT).strip().splitlines()[-1]
    rows, documents = (int(n) for n in counted.split())
    if rows == documents == mode.products:
        log(f"catalog already holds {rows} products")
        return None
    log(f"seeding {mode.products} products in {mode.categories} categories")
    start = time.monotonic()
    manage(
        env, "seed_catalog", "--reset", "--products", str(mode.products), "--categories", str(mode.categories)
    )
    return round(time.monotonic() - start, 1)


SERVERS = {
    "wsgi": ("config/gunicorn.conf.py", "catalog_service.wsgi"),
    "asgi": ("config/gunicorn_asgi.conf.py", "catalog_service.asgi:application"),
}


def start_server(env: dict[str, str], out: Path, interface: str, port: int) -> subprocess.Popen:
    """Start gunicorn for ``interface`` on ``port`` and wait until it answers."""
    config, app = SERVERS[interface]
    logfile = (out / f"gunicorn-{interface}.log").open("w")
    gunicorn = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", config, "--access-logfile", "/dev/null", app],
        cwd=ROOT, env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"}, stdout=logfile,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{base}/healthz", timeout=1).status == 200:
                return gunicorn
        except OSError:
            pass
        if gunicorn.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"gunicorn ({interface}) did not start; see {logfile.name}")
        time.sleep(0.1)


def start_relay(env: dict[str, str], out: Path) -> subprocess.Popen:
    logfile = (out / "relay.log").open("w")
    return subprocess.Popen([PYTHON, "manage.py", "relay_outbox"], cwd=ROOT, env=env, stdout=logfile,
                            stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in processes:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def root_slugs(base: str) -> list[str]:
    """Return the top-level categories (their listings include every descendant's products)."""
    with urllib.request.urlopen(f"{base}/api/v1/categories/") as response:
        return [node["slug"] for node in json.load(response)]


def count_round_trips(
    env: dict[str, str], slug: str, page_sizes: tuple[int, ...]
) -> dict[tuple[str, int], tuple[dict[str, int], int]]:
    """Return, per variant and page size, (SQL queries per alias, MongoDB round trips) of one warm
    request."""
    script = f"""
import json, os, django
django.setup()
from django.conf import settings
from django.db import connections
from django.test import Client
from catalog_service.documents.monitoring import recorder
settings.ALLOWED_HOSTS = ["*"]
client = Client()
out = {{}}
for name, path in {json.dumps([(v.name, v.path) for v in VARIANTS if v.interface == "wsgi"])}:
  for size in {list(page_sizes)!r}:
    url = path.format(slug={slug!r})
    client.get(url, {{"page_size": size}})  # warm: connections, and the cache for ours-cached
    for alias in connections:
        connections[alias].force_debug_cursor = True
        connections[alias].queries_log.clear()
    with recorder.record() as commands:
        assert client.get(url, {{"page_size": size}}).status_code == 200
    sql = {{a: len(connections[a].queries_log) for a in connections if connections[a].queries_log}}
    out[f"{{name}} {{size}}"] = [sql, len(commands)]

import asyncio
from django.test import AsyncClient
from catalog_service.db import aio

async def count_async():
    client = AsyncClient()
    for name, path in {json.dumps([(v.name, v.path) for v in VARIANTS if v.interface == "asgi"])}:
        for size in {list(page_sizes)!r}:
            url = path.format(slug={slug!r})
            await client.get(url, {{"page_size": size}})
            with recorder.record() as commands, aio.statements.record() as statements:
                assert (await client.get(url, {{"page_size": size}})).status_code == 200
            sql = {{}}
            for alias, _ in statements:
                sql[alias] = sql.get(alias, 0) + 1
            out[f"{{name}} {{size}}"] = [sql, len(commands)]
    await aio.close_pools()

asyncio.run(count_async())
print("ROUND_TRIPS=" + json.dumps(out))
"""
    result = subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("ROUND_TRIPS="))
    counted = json.loads(line.split("=", 1)[1])
    return {(k.rsplit(" ", 1)[0], int(k.rsplit(" ", 1)[1])): (v[0], v[1]) for k, v in counted.items()}


def all_slugs(base: str) -> list[str]:
    with urllib.request.urlopen(f"{base}/api/v1/categories/") as response:
        stack, slugs = list(json.load(response)), []
    while stack:
        node = stack.pop()
        slugs.append(node["slug"])
        stack.extend(node["children"])
    return slugs


def warm_up(base: str, variant: Variant, slugs: list[str], page_size: int) -> None:
    """Request every category's first page once for the cached variant (the cache filled, as a
    running service has it) and a few for the others (connections open), so the timed run
    measures the steady state."""
    if variant.name != "ours-cached":
        slugs = slugs[:4]
    for slug in slugs:
        url = f"{base}{variant.path.format(slug=slug)}?page_size={page_size}"
        with urllib.request.urlopen(url) as response:
            response.read()


def run_locust(
    env: dict[str, str],
    base: str,
    variant: Variant,
    mode: Mode,
    out: Path,
    page_size: int,
    slugs: list[str],
    suffix: str = "",
) -> Result:
    locust_env = {**env, "BENCH_PATH": variant.path, "BENCH_PAGE_SIZE": str(page_size)}
    locust_env["BENCH_SLUGS"] = ",".join(slugs)
    if variant.max_items:
        locust_env["BENCH_MAX_ITEMS"] = str(variant.max_items)
    prefix = out / f"{variant.name}-{page_size}{suffix}"
    command = [
        PYTHON, "-m", "locust", "-f", "loadtests/locustfile.py", "VariantUser", "--headless",
        "-u", str(mode.users), "-r", str(mode.users), "-t", f"{mode.seconds}s", "--stop-timeout", "5",
        "--host", base, "--csv", str(prefix), "--html", f"{prefix}.html", "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    run = subprocess.run(command, cwd=ROOT, env=locust_env, capture_output=True, text=True,
                         timeout=mode.seconds + 60)  # fmt: skip
    result = Result(variant.name, variant.description, page_size)
    name = variant.path.format(slug="[slug]")
    with open(f"{prefix}_stats.csv", newline="") as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    row = rows.get(name)
    if row is None or not int(row["Request Count"]):
        raise SystemExit(f"{variant.name}: Locust made no requests; it said:\n{run.stderr[-3000:]}")
    result.requests = int(row["Request Count"])
    result.failures = int(row["Failure Count"])
    result.rps = round(float(row["Requests/s"]), 1)
    result.p50_ms = float(row["50%"])
    result.p95_ms = float(row["95%"])
    result.p99_ms = float(row["99%"])
    return result


def run_mix(env: dict[str, str], base: str, mode: Mode, out: Path) -> dict[str, Any]:
    """Run the realistic mix (shoppers and one staff member) and return its rows by name."""
    prefix = out / "mix"
    locust_env = {k: v for k, v in env.items() if k != "BENCH_PATH"}
    seconds = max(mode.seconds, 6)
    command = [
        PYTHON, "-m", "locust", "-f", "loadtests/locustfile.py", "Shopper", "Staff", "--headless",
        "-u", str(mode.users), "-r", str(mode.users), "-t", f"{seconds}s", "--stop-timeout", "10",
        "--host", base, "--csv", str(prefix), "--html", f"{prefix}.html", "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=locust_env, capture_output=True, timeout=mode.seconds + 90)
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as stats:
        for row in csv.DictReader(stats):
            rows[f"{row['Type']} {row['Name']}".strip()] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 1),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
            }
    return rows


def deep_pages(base: str, slug: str, pages: int) -> list[tuple[int, float]]:
    """Walk ``pages`` pages of one category (uncached listing); return (page, milliseconds)."""
    url = f"{base}/bench/ours-uncached/{slug}/products/?page_size=24"
    timings = []
    for page in range(1, pages + 1):
        start = time.perf_counter()
        with urllib.request.urlopen(url) as response:
            body = json.load(response)
        timings.append((page, round((time.perf_counter() - start) * 1000, 2)))
        if not body["next"]:
            break
        url = body["next"]
    return timings


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with contextlib.suppress(OSError, StopIteration), open("/proc/cpuinfo") as info:
        cpu = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    return {"host": platform.node(), "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "system": platform.platform()}  # fmt: skip


def mongodb_server(env: dict[str, str], *, own_standin: bool) -> str:
    """Name the MongoDB the run reads from, for the report."""
    import pymongo

    url = env.get("MONGODB_URL", f"mongodb://127.0.0.1:{standin.stack_mongodb_port()}/?directConnection=true")
    with pymongo.MongoClient(url, serverSelectionTimeoutMS=2000) as client:
        version = client.server_info().get("version", "?")
    if own_standin:
        return f"mongo-java-server 1.46 stand-in, in memory, the runner's own (declares MongoDB {version})"
    if standin.stack_runs_standin() and f"127.0.0.1:{standin.stack_mongodb_port()}" in url:
        return f"mongo-java-server 1.46 stand-in, file-backed (declares MongoDB {version})"
    return f"MongoDB {version}"


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description="Benchmark the listing variants side by side.")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="20,000 products, about nine minutes")
    size.add_argument("--tiny", action="store_true", help="a few hundred products, seconds (the test suite)")
    size.add_argument("--large", action="store_true", help="1,000,000 products, for deep pages")
    parser.add_argument("--products", type=int, help="catalog size (overrides the mode's)")
    parser.add_argument("--categories", type=int)
    parser.add_argument("--seconds", type=int, help="load per variant and round")
    parser.add_argument("--users", type=int)
    parser.add_argument("--rounds", type=int, help="measurements of each variant (alternating order)")
    parser.add_argument(
        "--database", default=None, help="database name (default bench_catalog, or bench_tiny)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="results directory (default loadtests/results)"
    )
    parser.add_argument("--profile-page-size", type=int, default=None,
                        help="page size of the profiling pass (default: the first measured)")  # fmt: skip
    parser.add_argument("--profile", nargs="?", const="ours-uncached", default="",
                        help="sample these variants (comma-separated) with py-spy")  # fmt: skip
    parser.add_argument("--stack-mongodb", action="store_true",
                        help="use the stack's MongoDB even when it is the file-backed stand-in")  # fmt: skip
    parser.add_argument("--guard-uncached", type=float, default=GUARD_THRESHOLDS["uncached"],
                        help="fail when ours uncached ÷ limit falls under this (0: off)")  # fmt: skip
    parser.add_argument("--guard-cached", type=float, default=GUARD_THRESHOLDS["cached"],
                        help="fail when ours cached ÷ constant page falls under this (0: off)")  # fmt: skip
    args = parser.parse_args(argv)
    name = "quick" if args.quick else "tiny" if args.tiny else "large" if args.large else "default"
    base_mode = MODES[name]
    mode = Mode(
        products=args.products or base_mode.products,
        categories=args.categories or base_mode.categories,
        seconds=args.seconds or base_mode.seconds,
        users=args.users or base_mode.users,
        deep_pages=base_mode.deep_pages,
        page_sizes=base_mode.page_sizes,
        mix=base_mode.mix,
        rounds=args.rounds or base_mode.rounds,
    )
    # The tiny mode proves the runner works (the test suite); its figures guard nothing.
    thresholds = {} if args.tiny else {"uncached": args.guard_uncached, "cached": args.guard_cached}
    thresholds = {k: v for k, v in thresholds.items() if v > 0}
    database = args.database or ("bench_tiny" if args.tiny else "bench_catalog")
    results_root = args.out or RESULTS
    timestamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = results_root / timestamp
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = bench_environment(database, port)
    base = f"http://127.0.0.1:{port}"
    bases = {"wsgi": base, "asgi": f"http://127.0.0.1:{free_port()}"}

    ensure_database(env, database)
    processes: list[subprocess.Popen] = []
    own_standin = not args.stack_mongodb and standin.stack_runs_standin()
    if own_standin:
        log("starting an in-memory MongoDB stand-in for the run (see loadtests/standin.py)")
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
            masters[interface] = start_server(env, out, interface, int(url.rsplit(":", 1)[1]))
            processes.append(masters[interface])
        roots = root_slugs(base)
        trips = count_round_trips(env, roots[0], mode.page_sizes)
        slugs = all_slugs(base)
        results = measure(env, bases, mode, out, slugs, trips)
        # after the run, before anything else
        memory = {i: profiling.worker_memory_mb(m.pid) for i, m in masters.items()}
        for variant in filter(None, args.profile.split(",")):
            interface = next(v.interface for v in VARIANTS if v.name == variant)
            size = args.profile_page_size or mode.page_sizes[0]
            profile(env, bases, mode, out, masters[interface].pid, variant, size, slugs)
        deep = deep_pages(base, roots[0], mode.deep_pages)  # before the mix, whose load lingers
        if mode.mix:
            log(f"shoppers and staff: {mode.users} users for {max(mode.seconds, 6)} s")
            mix = run_mix(env, base, mode, out)
    finally:
        stop(processes)
    meta = {
        "timestamp": timestamp, "mode": name, "products": mode.products, "categories": mode.categories,
        "seconds": mode.seconds, "rounds": mode.rounds, "users": mode.users,
        "workers": int(env["WEB_CONCURRENCY"]),
        "worker_class": env.get("GUNICORN_WORKER_CLASS", "gthread"), "page_sizes": list(mode.page_sizes),
        "seeded_in_seconds": seeded_in, "machine": machine(), "mongodb": mongodb, "mix": mix,
        "mix_skipped": None if mode.mix else "not run in this mode (see MODES in loadtests/bench.py).",
        "worker_memory_mb": memory["wsgi"], "asgi_worker_memory_mb": memory["asgi"],
        "guard_thresholds": thresholds,
    }  # fmt: skip
    measured = write_report(out, results, meta, deep)
    latest = results_root / "latest"
    shutil.rmtree(latest, ignore_errors=True)
    shutil.copytree(out, latest)
    print((out / "report.md").read_text())
    log(f"results in {out} (and {latest})")
    failures = guard_failures(measured, thresholds)
    if failures:
        raise SystemExit("regression guard: " + "; ".join(failures))
    return out


def measure(
    env: dict[str, str],
    bases: dict[str, str],
    mode: Mode,
    out: Path,
    slugs: list[str],
    trips: dict[tuple[str, int], tuple[dict[str, int], int]],
) -> list[Result]:
    """Run every variant at every page size, in ``mode.rounds`` rounds of alternating order (so
    a drift during the run, such as a server warming up, favours no variant); return their
    results, each averaged over its rounds."""
    results = []
    for size in mode.page_sizes:
        variants = [v for v in VARIANTS if v.every_size or size == mode.page_sizes[0]]
        rounds: dict[str, list[Result]] = {v.name: [] for v in variants}
        for number in range(mode.rounds):
            for variant in variants if number % 2 == 0 else variants[::-1]:
                base = bases[variant.interface]
                warm_up(base, variant, slugs, size)
                log(f"{variant.name}, {size} items, round {number + 1}: {mode.users} users, {mode.seconds} s")
                suffix = f"-round{number + 1}" if mode.rounds > 1 else ""
                result = run_locust(env, base, variant, mode, out, size, slugs, suffix)
                rounds[variant.name].append(result)
                log(f"{variant.name}: {result.rps} req/s, p50 {result.p50_ms} ms, {result.failures} failures")
        for variant in variants:
            result = averaged(rounds[variant.name])
            result.sql_queries, result.mongo_round_trips = trips.get((variant.name, size), ({}, 0))
            results.append(result)
    return results


def averaged(rounds: list[Result]) -> Result:
    """One result from a variant's rounds: requests and failures summed, rates and latencies
    averaged."""
    first = rounds[0]

    def mean(values: list[float]) -> float:
        return round(sum(values) / len(values), 1)

    return Result(
        first.variant, first.description, first.page_size,
        requests=sum(r.requests for r in rounds), failures=sum(r.failures for r in rounds),
        rps=mean([r.rps for r in rounds]), p50_ms=mean([r.p50_ms for r in rounds]),
        p95_ms=mean([r.p95_ms for r in rounds]), p99_ms=mean([r.p99_ms for r in rounds]),
    )  # fmt: skip


def profile(
    env: dict[str, str],
    bases: dict[str, str],
    mode: Mode,
    out: Path,
    master_pid: int,
    name: str,
    size: int,
    slugs: list[str],
) -> None:
    """Load one variant once more with py-spy on every worker; write profile-<variant>.md and the
    collapsed stacks (a separate pass, so sampling does not touch the measured figures)."""
    variant = next(v for v in VARIANTS if v.name == name)
    log(f"profiling {variant.name}, {size} items, for {mode.seconds} s")
    started = profiling.start_recording(
        profiling.worker_pids(master_pid), mode.seconds, out, f"stacks-{name}-{size}"
    )
    (out / "profile-run").mkdir(exist_ok=True)
    run_locust(env, bases[variant.interface], variant, mode, out / "profile-run", size, slugs)
    summary = profiling.summarise(profiling.finish_recording(started))
    title = f"# Profile: {variant.name}, {size}-item pages, under load"
    (out / f"profile-{name}-{size}.md").write_text(f"{title}\n\n{summary}")


if __name__ == "__main__":
    main()
