"""SQL queries (per database alias) and MongoDB round trips of one warm request per variant and
page size, for the report's table.

Both sides are here: ``count`` (the runner) starts this module as a program under the run's
environment, ``python -m loadtests.bench.round_trips <slug> <page size>...``, which requests
every variant through Django's test clients, counts, and prints one ``ROUND_TRIPS=<json>`` line
that ``parse`` reads back.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterable, Sequence

from loadtests.bench.paths import PYTHON, ROOT
from loadtests.bench.variants import Variant, on_interface

PREFIX = "ROUND_TRIPS="
# (variant, page size) -> (SQL queries per alias, MongoDB round trips)
Counts = dict[tuple[str, int], tuple[dict[str, int], int]]


def count(env: dict[str, str], slug: str, page_sizes: Sequence[int]) -> Counts:
    """Return, per variant and page size, (SQL queries per alias, MongoDB round trips) of one warm
    request to ``slug``'s listing."""
    command = [PYTHON, "-m", "loadtests.bench.round_trips", slug, *map(str, page_sizes)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return parse(result.stdout)


def key(name: str, size: int) -> str:
    """The JSON key of a variant at a page size."""
    return f"{name} {size}"


def parse(output: str) -> Counts:
    """Read the program's ``ROUND_TRIPS=`` line (other lines are Django's or the service's)."""
    line = next(x for x in output.splitlines() if x.startswith(PREFIX))
    counted = json.loads(line.removeprefix(PREFIX))
    return {(k.rsplit(" ", 1)[0], int(k.rsplit(" ", 1)[1])): (v[0], v[1]) for k, v in counted.items()}


def per_alias(statements: Iterable[tuple[str, str]]) -> dict[str, int]:
    """Count recorded (alias, SQL) statements per alias."""
    sql: dict[str, int] = {}
    for alias, _ in statements:
        sql[alias] = sql.get(alias, 0) + 1
    return sql


def checked(status: int, url: str) -> None:
    if status != 200:
        raise SystemExit(f"{url} answered {status}; its round trips were not counted")


# The program. Django's modules are imported inside its functions: they need django.setup(),
# which main() calls, and the runner imports this module without Django set up.


def count_sync(variants: Sequence[Variant], slug: str, page_sizes: Sequence[int]) -> dict[str, list]:
    """Count the WSGI variants through Django's test client."""
    # Django's modules need django.setup() (see above).
    from django.db import connections
    from django.test import Client

    from catalog_service.documents.monitoring import recorder

    client = Client()
    out: dict[str, list] = {}
    for variant in variants:
        for size in page_sizes:
            url = variant.path.format(slug=slug)
            client.get(url, {"page_size": size})  # warm: connections, and the cache for ours-cached
            for alias in connections:
                connections[alias].force_debug_cursor = True
                connections[alias].queries_log.clear()
            with recorder.record() as commands:
                checked(client.get(url, {"page_size": size}).status_code, url)
            sql = {a: len(connections[a].queries_log) for a in connections if connections[a].queries_log}
            out[key(variant.name, size)] = [sql, len(commands)]
    return out


async def count_async(variants: Sequence[Variant], slug: str, page_sizes: Sequence[int]) -> dict[str, list]:
    """Count the ASGI variants through Django's async test client (the async pools' statements)."""
    # Django's modules need django.setup() (see above).
    from django.test import AsyncClient

    from catalog_service.db import aio
    from catalog_service.documents.monitoring import recorder

    client = AsyncClient()
    out: dict[str, list] = {}
    for variant in variants:
        for size in page_sizes:
            url = variant.path.format(slug=slug)
            await client.get(url, {"page_size": size})
            with recorder.record() as commands, aio.statements.record() as statements:
                checked((await client.get(url, {"page_size": size})).status_code, url)
            out[key(variant.name, size)] = [per_alias(statements), len(commands)]
    await aio.close_pools()
    return out


def main(argv: Sequence[str]) -> None:
    # The runner imports this module without Django; the program sets it up here.
    import django

    django.setup()
    from django.conf import settings  # read after setup

    settings.ALLOWED_HOSTS = ["*"]  # the test clients' host is "testserver"
    slug, sizes = argv[0], [int(s) for s in argv[1:]]
    out = count_sync(on_interface("wsgi"), slug, sizes)
    out.update(asyncio.run(count_async(on_interface("asgi"), slug, sizes)))
    print(PREFIX + json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
