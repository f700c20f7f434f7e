"""Plain HTTP requests to a run's server, outside Locust: the category tree, the warm-up before
each measured window, and the walk through deep pages."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Sequence
from typing import Any

from loadtests.bench.variants import Variant

WARM_UP_SLUGS = 4  # uncached variants: enough requests to open every worker's connections


def category_tree(base: str) -> list[dict[str, Any]]:
    with urllib.request.urlopen(f"{base}/api/v1/categories/") as response:
        return json.load(response)


def root_slugs(base: str) -> list[str]:
    """Return the top-level categories (their listings include every descendant's products)."""
    return [node["slug"] for node in category_tree(base)]


def flatten_slugs(tree: list[dict[str, Any]]) -> list[str]:
    """Return every slug of the API's nested category nodes (depth first, last root first)."""
    stack, slugs = list(tree), []
    while stack:
        node = stack.pop()
        slugs.append(node["slug"])
        stack.extend(node["children"])
    return slugs


def all_slugs(base: str) -> list[str]:
    return flatten_slugs(category_tree(base))


def warm_up_slugs(variant: Variant, slugs: Sequence[str]) -> list[str]:
    """Every category for the cached variants, on either interface (the cache filled, as a
    running service has it), a few for the others (connections open)."""
    return list(slugs if variant.name.endswith("-cached") else slugs[:WARM_UP_SLUGS])


def warm_up(base: str, variant: Variant, slugs: Sequence[str], page_size: int) -> None:
    """Request the first page of ``warm_up_slugs`` once, so the timed run measures the steady state."""
    for slug in warm_up_slugs(variant, slugs):
        url = f"{base}{variant.path.format(slug=slug)}?page_size={page_size}"
        with urllib.request.urlopen(url) as response:
            response.read()


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
