"""The listing variants a run measures, and the order a round measures them in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    name: str
    path: str
    max_items: int | None = None
    description: str = ""
    every_size: bool = True  # False: measured once, at the first page size (its page is fixed)
    interface: str = "wsgi"  # the server it runs on: gunicorn's sync workers, or uvicorn workers
    # What Locust checks of each answer: "page" (a listing page's shape) or "status" (a 200)
    check: str = "page"


# Each ratio's two sides run one after the other, so drift in the machine's speed during the
# run touches them alike.
VARIANTS = (
    Variant(
        "ceiling",
        "/bench/ceiling/{slug}/products/",
        50,
        "a constant 50-item JSON page, before Django (gunicorn and Locust alone)",
        False,
    ),
    # The floor of a request on each interface: Django, the middleware and the server, no page.
    Variant("healthz", "/healthz", None, "the health check: no page, no server", False, check="status"),
    Variant("naive", "/bench/naive/{slug}/products/", None, "lazy foreign key + one find_one per row"),
    Variant("seed-style", "/bench/seed-style/{slug}/products/", None, "one find_one per instance (write-up)"),
    Variant("limit", "/bench/limit/{slug}/products/", None, "by hand: 1 raw SQL query, 1 find, orjson"),
    Variant("ours-uncached", "/bench/ours-uncached/{slug}/products/", None, "the real listing, cache off"),
    Variant("constant", "/bench/constant/{slug}/products/", None, "a real page of this size, held in memory"),
    Variant("ours-cached", "/api/v1/categories/{slug}/products/", None, "the real endpoint, cache on"),
    Variant("asgi-healthz", "/healthz", None, "the health check (uvicorn workers)", False, "asgi", "status"),
    Variant(
        "asgi-limit",
        "/bench/limit/{slug}/products/",
        None,
        "by hand, async: 1 raw SQL query, 1 find, orjson (uvicorn workers)",
        interface="asgi",
    ),
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


def variant_named(name: str) -> Variant:
    """Return the variant called ``name`` (KeyError names an unknown one)."""
    for variant in VARIANTS:
        if variant.name == name:
            return variant
    raise KeyError(name)


def on_interface(interface: str) -> list[Variant]:
    """Return the variants served by ``interface`` ("wsgi" or "asgi"), in table order."""
    return [v for v in VARIANTS if v.interface == interface]


def measured_at(size: int, page_sizes: Sequence[int]) -> list[Variant]:
    """Return the variants measured at ``size``: all at the first page size, and at the others
    only those whose page follows the page size."""
    return [v for v in VARIANTS if v.every_size or size == page_sizes[0]]


def in_round_order(variants: Sequence[Variant], number: int) -> list[Variant]:
    """Return the order of round ``number`` (from 0): table order, reversed every other round,
    so a drift during the run (a server warming up) favours no variant."""
    return list(variants if number % 2 == 0 else variants[::-1])
