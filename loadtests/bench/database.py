"""The run's databases: created on the primary (replication brings them to the replicas),
migrated, and seeded when the catalog's size differs from the mode's."""

from __future__ import annotations

import subprocess
import time
from urllib.parse import urlsplit

import psycopg

from loadtests.bench import catalog_size
from loadtests.bench.log import log
from loadtests.bench.modes import Mode
from loadtests.bench.paths import PYTHON, ROOT


def ensure_database(env: dict[str, str], database: str) -> None:
    """Create ``database`` on the primary unless it exists, and wait until every replica has it."""
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
    """Run ``manage.py args`` under the run's environment; return what it printed."""
    result = subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True,
                            text=True)  # fmt: skip
    return result.stdout


def measure_catalog(env: dict[str, str]) -> tuple[int, int]:
    """Return (product rows, product documents) of the run's databases."""
    result = subprocess.run([PYTHON, "-m", "loadtests.bench.catalog_size"], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True)  # fmt: skip
    return catalog_size.parse(result.stdout)


def needs_seeding(rows: int, documents: int, mode: Mode) -> bool:
    """Whether the catalog must be seeded again: either store holds other than the mode's size."""
    return not rows == documents == mode.products


def prepare_catalog(env: dict[str, str], mode: Mode) -> float | None:
    """Migrate and seed when the catalog's size differs; return the seconds seeding took."""
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "ensure_document_indexes")
    manage(env, "ensure_superuser")
    rows, documents = measure_catalog(env)
    if not needs_seeding(rows, documents, mode):
        log(f"catalog already holds {rows} products")
        return None
    log(f"seeding {mode.products} products in {mode.categories} categories")
    start = time.monotonic()
    manage(
        env, "seed_catalog", "--reset", "--products", str(mode.products), "--categories", str(mode.categories)
    )
    return round(time.monotonic() - start, 1)
