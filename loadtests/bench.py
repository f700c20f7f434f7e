"""The benchmark runner: every listing variant under the same load, side by side, in one run.

    make bench                     # 100,000 products, 300 categories
    make bench-quick               # 20,000 products, about two minutes
    bin/with-stack .venv/bin/python -m loadtests.bench --tiny --out /tmp/bench   # seconds (tests)

It uses the stack the environment names (``bin/with-stack`` starts it), in databases of its own
(``bench_catalog`` unless ``--database``), seeds the catalog when its size differs, starts
gunicorn with ``config/gunicorn.conf.py`` and production settings on 127.0.0.1, and runs Locust
headless, bounded in time, against each variant in turn. Results go to
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
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "loadtests" / "results"
PYTHON = sys.executable


@dataclass(frozen=True)
class Variant:
    name: str
    path: str
    max_items: int | None = None
    description: str = ""


VARIANTS = (
    Variant("ceiling", "/bench/ceiling/{slug}/products/", 50, "a constant 50-item JSON page"),
    Variant("naive", "/bench/naive/{slug}/products/", None, "lazy foreign key + one find_one per row"),
    Variant("seed-style", "/bench/seed-style/{slug}/products/", None, "one find_one per instance (write-up)"),
    Variant("ours-uncached", "/bench/ours-uncached/{slug}/products/", None, "the real listing, cache off"),
    Variant("ours-cached", "/api/v1/categories/{slug}/products/", None, "the real endpoint, cache on"),
)


@dataclass(frozen=True)
class Mode:
    products: int
    categories: int
    seconds: int
    users: int
    deep_pages: int


MODES = {
    "default": Mode(100_000, 300, 20, 50, 400),
    "quick": Mode(20_000, 60, 12, 50, 100),
    "tiny": Mode(300, 6, 2, 5, 5),
    "large": Mode(1_000_000, 300, 20, 50, 1000),
}


@dataclass
class Result:
    variant: str
    description: str
    requests: int = 0
    failures: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    sql_queries: dict[str, int] = field(default_factory=dict)
    mongo_round_trips: int = 0
    ratio_to_ceiling: float | None = None


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
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": env.get("BENCH_WORKERS", "2"),
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


def start_server(env: dict[str, str], out: Path) -> list[subprocess.Popen]:
    logfile = (out / "gunicorn.log").open("w")
    gunicorn = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "--access-logfile", "/dev/null",
         "catalog_service.wsgi"],
        cwd=ROOT, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    relay = subprocess.Popen([PYTHON, "manage.py", "relay_outbox"], cwd=ROOT, env=env, stdout=logfile,
                             stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    base = f"http://{env['GUNICORN_BIND']}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{base}/healthz", timeout=1).status == 200:
                return [gunicorn, relay]
        except OSError:
            pass
        if gunicorn.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"gunicorn did not start; see {out / 'gunicorn.log'}")
        time.sleep(0.1)


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


def count_round_trips(env: dict[str, str], base: str, slug: str) -> dict[str, tuple[dict[str, int], int]]:
    """Return, per variant, (SQL queries per alias, MongoDB round trips) of one warm request."""
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
for name, path in {json.dumps([(v.name, v.path) for v in VARIANTS])}:
    url = path.format(slug={slug!r})
    client.get(url, {{"page_size": 24}})  # warm: connections, and the cache for ours-cached
    for alias in connections:
        connections[alias].force_debug_cursor = True
        connections[alias].queries_log.clear()
    with recorder.record() as commands:
        assert client.get(url, {{"page_size": 24}}).status_code == 200
    sql = {{a: len(connections[a].queries_log) for a in connections if connections[a].queries_log}}
    out[name] = [sql, len(commands)]
print("ROUND_TRIPS=" + json.dumps(out))
"""
    result = subprocess.run(
        [PYTHON, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("ROUND_TRIPS="))
    return {k: (v[0], v[1]) for k, v in json.loads(line.split("=", 1)[1]).items()}


def all_slugs(base: str) -> list[str]:
    with urllib.request.urlopen(f"{base}/api/v1/categories/") as response:
        stack, slugs = list(json.load(response)), []
    while stack:
        node = stack.pop()
        slugs.append(node["slug"])
        stack.extend(node["children"])
    return slugs


def warm_up(base: str, variant: Variant, slugs: list[str]) -> None:
    """Request every category's first page once: connections open, the cache filled (as a
    running service has it), so the timed run measures the steady state."""
    for slug in slugs:
        with urllib.request.urlopen(f"{base}{variant.path.format(slug=slug)}?page_size=24") as response:
            response.read()


def run_locust(env: dict[str, str], base: str, variant: Variant, mode: Mode, out: Path) -> Result:
    locust_env = {**env, "BENCH_PATH": variant.path, "BENCH_PAGE_SIZE": "24"}
    if variant.max_items:
        locust_env["BENCH_MAX_ITEMS"] = str(variant.max_items)
    prefix = out / variant.name
    command = [
        PYTHON, "-m", "locust", "-f", "loadtests/locustfile.py", "VariantUser", "--headless",
        "-u", str(mode.users), "-r", str(mode.users), "-t", f"{mode.seconds}s", "--stop-timeout", "5",
        "--host", base, "--csv", str(prefix), "--html", f"{prefix}.html", "--only-summary",
        "--loglevel", "WARNING",
    ]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=locust_env, capture_output=True, timeout=mode.seconds + 60)
    result = Result(variant.name, variant.description)
    with open(f"{prefix}_stats.csv", newline="") as stats:
        for row in csv.DictReader(stats):
            if row["Name"] == "Aggregated":
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


def mongodb_server(env: dict[str, str]) -> str:
    import pymongo

    client = pymongo.MongoClient(env.get("MONGODB_URL", "mongodb://127.0.0.1:57017/?directConnection=true"),
                                 serverSelectionTimeoutMS=2000)  # fmt: skip
    version = client.server_info().get("version", "?")
    status = subprocess.run([str(ROOT / "bin" / "stack"), "status"], capture_output=True, text=True).stdout
    standin = any("mongo" in line and "standin" in line for line in status.splitlines())
    if standin:
        return f"mongo-java-server 1.46 stand-in (declares MongoDB {version})"
    return f"MongoDB {version}"


def write_report(
    out: Path, results: list[Result], meta: dict[str, Any], deep: list[tuple[int, float]]
) -> None:
    ceiling = next((r.rps for r in results if r.variant == "ceiling"), 0)
    for result in results:
        result.ratio_to_ceiling = round(result.rps / ceiling, 3) if ceiling else None
    report = {**meta, "results": [asdict(r) for r in results], "deep_pages_ms": deep}
    (out / "report.json").write_text(json.dumps(report, indent=2))
    lines = [
        f"# Benchmark {meta['timestamp']}",
        "",
        f"Machine: {meta['machine']['host']}, {meta['machine']['cpu']}, {meta['machine']['cores']} cores. "
        f"MongoDB: {meta['mongodb']}. "
        f"Catalog: {meta['products']:,} products in {meta['categories']} categories. "
        f"Locust: {meta['users']} users, {meta['seconds']} s per variant, 24-item pages; gunicorn "
        f"{meta['workers']} sync workers on 127.0.0.1.",
        "",
        "| variant | req/s | p50 ms | p95 ms | p99 ms | failures | SQL queries / request "
        "| MongoDB round trips / request | ÷ ceiling |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        sql = ", ".join(f"{n} {a}" for a, n in sorted(r.sql_queries.items())) or "0"
        latency = f"{r.p50_ms:.0f} | {r.p95_ms:.0f} | {r.p99_ms:.0f}"
        lines.append(f"| {r.variant} | {r.rps:.1f} | {latency} | {r.failures}/{r.requests} | {sql} "
                     f"| {r.mongo_round_trips} | {r.ratio_to_ceiling} |")  # fmt: skip
    if deep:
        first, last = deep[0], deep[-1]
        lines += ["", f"Deep pages (uncached listing of a top-level category): page {first[0]} "
                  f"{first[1]} ms, page {last[0]} {last[1]} ms (median of pages 1-10: "
                  f"{statistics.median(ms for _, ms in deep[:10]):.1f} ms; of the last 10: "
                  f"{statistics.median(ms for _, ms in deep[-10:]):.1f} ms)."]  # fmt: skip
    lines += [
        "",
        "![throughput](throughput.png)",
        "",
        "![latency](latency.png)",
        "",
        "![deep pages](deep_pages.png)",
    ]
    (out / "report.md").write_text("\n".join(lines) + "\n")
    plot(out, results, deep)


def plot(out: Path, results: list[Result], deep: list[tuple[int, float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [r.variant for r in results]
    fig, ax = plt.subplots(figsize=(8, 4))
    ax.bar(names, [r.rps for r in results], color="#4477aa")
    ax.set_ylabel("requests/s")
    ax.set_title("Throughput per variant (24-item category page)")
    fig.tight_layout()
    fig.savefig(out / "throughput.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.27
    for i, (label, key) in enumerate((("p50", "p50_ms"), ("p95", "p95_ms"), ("p99", "p99_ms"))):
        ax.bar([x + (i - 1) * width for x in range(len(results))], [getattr(r, key) for r in results], width,
               label=label)  # fmt: skip
    ax.set_xticks(range(len(results)), names)
    ax.set_ylabel("latency (ms)")
    ax.set_title("Latency percentiles per variant")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(8, 4))
    if deep:
        ax.plot([p for p, _ in deep], [ms for _, ms in deep], ".", markersize=3)
    ax.set_xlabel("page number")
    ax.set_ylabel("latency (ms)")
    ax.set_title("Latency against page depth (keyset pagination)")
    fig.tight_layout()
    fig.savefig(out / "deep_pages.png", dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description="Benchmark the listing variants side by side.")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="20,000 products, about two minutes")
    size.add_argument("--tiny", action="store_true", help="a few hundred products, seconds (the test suite)")
    size.add_argument("--large", action="store_true", help="1,000,000 products, for deep pages")
    parser.add_argument("--products", type=int, help="catalog size (overrides the mode's)")
    parser.add_argument("--categories", type=int)
    parser.add_argument("--seconds", type=int, help="load per variant")
    parser.add_argument("--users", type=int)
    parser.add_argument(
        "--database", default=None, help="database name (default bench_catalog, or bench_tiny)"
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="results directory (default loadtests/results)"
    )
    args = parser.parse_args(argv)
    name = "quick" if args.quick else "tiny" if args.tiny else "large" if args.large else "default"
    base_mode = MODES[name]
    mode = Mode(
        products=args.products or base_mode.products,
        categories=args.categories or base_mode.categories,
        seconds=args.seconds or base_mode.seconds,
        users=args.users or base_mode.users,
        deep_pages=base_mode.deep_pages,
    )
    database = args.database or ("bench_tiny" if args.tiny else "bench_catalog")
    results_root = args.out or RESULTS
    timestamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = results_root / timestamp
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = bench_environment(database, port)
    base = f"http://127.0.0.1:{port}"

    ensure_database(env, database)
    mongodb = mongodb_server(env)  # asked before the load: a busy server may not answer after it
    seeded_in = prepare_catalog(env, mode)
    processes = start_server(env, out)
    try:
        roots = root_slugs(base)
        trips = count_round_trips(env, base, roots[0])
        results = []
        slugs = all_slugs(base)
        for variant in VARIANTS:
            warm_up(base, variant, slugs)
            log(f"{variant.name}: {mode.users} users for {mode.seconds} s")
            result = run_locust(env, base, variant, mode, out)
            result.sql_queries, result.mongo_round_trips = trips.get(variant.name, ({}, 0))
            results.append(result)
            log(f"{variant.name}: {result.rps} req/s, p50 {result.p50_ms} ms, {result.failures} failures")
        deep = deep_pages(base, roots[0], mode.deep_pages)  # before the mix, whose load lingers
        log(f"shoppers and staff: {mode.users} users for {max(mode.seconds, 6)} s")
        mix = run_mix(env, base, mode, out)
    finally:
        stop(processes)
    meta = {
        "timestamp": timestamp, "mode": name, "products": mode.products, "categories": mode.categories,
        "seconds": mode.seconds, "users": mode.users, "workers": int(env["WEB_CONCURRENCY"]),
        "seeded_in_seconds": seeded_in, "machine": machine(), "mongodb": mongodb, "mix": mix,
    }  # fmt: skip
    write_report(out, results, meta, deep)
    latest = results_root / "latest"
    shutil.rmtree(latest, ignore_errors=True)
    shutil.copytree(out, latest)
    print((out / "report.md").read_text())
    log(f"results in {out} (and {latest})")
    return out


if __name__ == "__main__":
    main()
