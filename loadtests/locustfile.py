"""Locust users for the catalog: shoppers and staff (the realistic mix), and one listing user per
benchmark variant (driven by ``loadtests/bench/``).

    locust -f loadtests/locustfile.py --host http://127.0.0.1:8000            # shoppers and staff
    BENCH_PATH=/bench/naive/{slug}/products/ locust -f loadtests/locustfile.py VariantUser ...

Load goes to 127.0.0.1 only (``--host`` is checked) and every run is bounded in time by the
caller (``--run-time``). Staff log in to Django Admin with ``LOCUST_STAFF_USERNAME`` and
``LOCUST_STAFF_PASSWORD`` (the runner creates that user).
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import time
from decimal import Decimal
from urllib.parse import urlsplit

import requests
from locust import FastHttpUser, HttpUser, between, events, task

PAGE_SIZES = [(10, 2), (24, 6), (50, 2), (100, 1)]  # (size, weight)
ORDERINGS = [("newest", 6), ("price", 2), ("-price", 1), ("name", 1)]
FILTERS = [
    ({}, 8),
    ({"min_price": "20", "max_price": "200"}, 1),
    ({"attr": "color:red"}, 1),
]
LISTING_KEYS = {"id", "sku", "name", "price", "category", "attributes", "images", "url"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SKU = re.compile(r'name="sku"[^>]*value="([^"]*)"')


def weighted(choices: list[tuple[object, int]]) -> object:
    values, weights = zip(*choices, strict=True)
    return random.choices(values, weights)[0]


@events.init.add_listener
def only_loopback(environment, **_kwargs) -> None:  # noqa: ANN001
    """Refuse any target but loopback (and the hosts LOCUST_ALLOWED_HOSTS names, e.g. compose's web)."""
    host = urlsplit(environment.host or "").hostname
    allowed = {
        "127.0.0.1",
        "localhost",
        None,
        *filter(None, os.environ.get("LOCUST_ALLOWED_HOSTS", "").split(",")),
    }
    if host not in allowed:
        raise SystemExit(f"load tests only target 127.0.0.1, not {host}")


def category_slugs(tree: list[dict]) -> list[str]:
    """Return every slug of the category tree (the API's nested nodes)."""
    slugs: list[str] = []
    stack = list(tree)
    while stack:
        node = stack.pop()
        slugs.append(node["slug"])
        stack.extend(node["children"])
    return slugs


def check_page(response, page_size: int) -> dict | None:  # noqa: ANN001 - either client's response
    """Fail ``response`` unless it is a listing page of at most ``page_size`` well-formed items."""
    if response.status_code != 200:
        response.failure(f"status {response.status_code}")
        return None
    body = response.json()
    if set(body) != {"next", "previous", "results"} or len(body["results"]) > page_size:
        response.failure("unexpected page shape")
        return None
    for item in body["results"]:
        if set(item) != LISTING_KEYS or not isinstance(item["price"], str):
            response.failure("unexpected item shape")
            return None
    response.success()
    return body


class CatalogUser(HttpUser):
    abstract = True
    categories: list[str] = []

    def on_start(self) -> None:
        if not CatalogUser.categories:
            with self.client.get("/api/v1/categories/", name="/api/v1/categories/", catch_response=True) as r:
                if r.status_code != 200:
                    r.failure(f"category tree: {r.status_code}")
                    return
                CatalogUser.categories = category_slugs(r.json())

    def check_page(self, response, page_size: int) -> dict | None:  # noqa: ANN001
        return check_page(response, page_size)


class Shopper(CatalogUser):
    """Browses the tree, opens listings with realistic options, follows next, opens products."""

    weight = 20
    wait_time = between(0.5, 2)

    @task(1)
    def browse_tree(self) -> None:
        with self.client.get("/api/v1/categories/", name="/api/v1/categories/", catch_response=True) as r:
            if r.status_code != 200 or not isinstance(r.json(), list):
                r.failure(f"category tree: {r.status_code}")

    @task(6)
    def browse_category(self) -> None:
        if not self.categories:
            return
        slug = random.choice(self.categories)
        page_size = weighted(PAGE_SIZES)
        params = {"page_size": page_size, "ordering": weighted(ORDERINGS), **weighted(FILTERS)}
        url = f"/api/v1/categories/{slug}/products/"
        with self.client.get(url, params=params, name="/api/v1/categories/[slug]/products/",
                             catch_response=True) as r:  # fmt: skip
            body = self.check_page(r, page_size)
        for _ in range(random.randint(0, 3)):  # some follow next
            if not body or not body["next"]:
                break
            with self.client.get(body["next"], name="/api/v1/categories/[slug]/products/?cursor",
                                 catch_response=True) as r:  # fmt: skip
                body = self.check_page(r, page_size)
        if body and body["results"] and random.random() < 0.5:
            item = random.choice(body["results"])
            with self.client.get(item["url"], name="/api/v1/products/[id]/", catch_response=True) as r:
                if r.status_code != 200 or r.json().get("id") != item["id"]:
                    r.failure(f"product detail: {r.status_code}")


class Staff(CatalogUser):
    """Edits prices and names in Django Admin at a low rate, and checks shoppers see the edit."""

    weight = 1
    fixed_count = int(os.environ.get("LOCUST_STAFF_USERS", "1"))  # however few users run
    wait_time = between(5, 10)

    def on_start(self) -> None:
        super().on_start()
        username = os.environ.get("LOCUST_STAFF_USERNAME", "bench-staff")
        password = os.environ.get("LOCUST_STAFF_PASSWORD", "bench-staff-password")
        page = self.client.get("/admin/login/", name="/admin/login/")
        token = CSRF.search(page.text)
        with self.client.post("/admin/login/", name="/admin/login/ (POST)", catch_response=True, data={
            "username": username, "password": password, "next": "/admin/",
            "csrfmiddlewaretoken": token.group(1) if token else "",
        }, allow_redirects=False) as r:  # fmt: skip
            if r.status_code != 302:
                r.failure("staff login failed")

    @task
    def edit_product(self) -> None:
        if not self.categories:
            return
        url = f"/api/v1/categories/{random.choice(self.categories)}/products/"
        listing = self.client.get(url, params={"page_size": 10}, name="/api/v1/categories/[slug]/products/")
        results = listing.json().get("results", []) if listing.status_code == 200 else []
        if not results:
            return
        product_id = random.choice(results)["id"]
        current = self.client.get(f"/api/v1/products/{product_id}/", name="/api/v1/products/[id]/")
        change = f"/admin/catalog/product/{product_id}/change/"
        form_page = self.client.get(change, name="/admin/catalog/product/[id]/change/")
        token, sku = CSRF.search(form_page.text), SKU.search(form_page.text)
        if current.status_code != 200 or not token or not sku:
            return
        product = current.json()
        new_name = f"{product['name'].split(' #')[0]} #{random.randint(1, 10**6)}"
        data = {
            "csrfmiddlewaretoken": token.group(1), "sku": html.unescape(sku.group(1)),
            "category": _selected_category(form_page.text), "is_published": "on", "name": new_name,
            "price": str(Decimal(random.randint(100, 99_999)) / 100), "description": product["description"],
            "attributes": json.dumps(product["attributes"]), "images": json.dumps(product["images"]),
        }  # fmt: skip
        with self.client.post(change, data=data, name="/admin/catalog/product/[id]/change/ (POST)",
                              catch_response=True, allow_redirects=False) as r:  # fmt: skip
            if r.status_code != 302:
                r.failure(f"admin save: {r.status_code}")
                return
        self.check_visible_to_shoppers(product_id, new_name)

    def check_visible_to_shoppers(self, product_id: int, name: str) -> None:
        """A shopper (another client, never pinned to the primary) sees the edit within 2 s."""
        start = time.perf_counter()
        url = f"{self.host}/api/v1/products/{product_id}/"
        seen = None
        while time.perf_counter() - start < 2:
            seen = requests.get(url, timeout=5).json().get("name")
            if seen == name:
                break
            time.sleep(0.05)
        events.request.fire(
            request_type="CHECK", name="staff edit visible to shoppers",
            response_time=(time.perf_counter() - start) * 1000, response_length=0,
            exception=None if seen == name else AssertionError(f"shoppers still see {seen!r}"),
            context={},
        )  # fmt: skip


def _selected_category(html: str) -> str:
    match = re.search(r'<select name="category"[^>]*>.*?<option value="(\d+)" selected', html, re.S)
    return match.group(1) if match else ""


def check_status(response) -> None:  # noqa: ANN001 - either client's response
    """Fail ``response`` unless it is a 200 (the health check: no page to check)."""
    if response.status_code != 200:
        response.failure(f"status {response.status_code}")
    else:
        response.success()


class CpuWindow:
    """This Locust process's CPU time between its test's start and stop, written as one JSON
    file to ``directory`` (the benchmark runner's measure of the load generator: it counts the
    load, not the seconds spent importing and forking before it). Every process of a
    ``--processes`` run (master and workers) writes its own."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self.cpu = self.wall = 0.0

    def start(self, **_kwargs: object) -> None:
        self.cpu, self.wall = time.process_time(), time.monotonic()

    def stop(self, **_kwargs: object) -> None:
        record = {"cpu": time.process_time() - self.cpu, "start": self.wall, "stop": time.monotonic()}
        with open(os.path.join(self.directory, f"locust-{os.getpid()}.json"), "w") as out:
            json.dump(record, out)


if os.environ.get("BENCH_CPU_DIR"):  # benchmark runs only
    _cpu_window = CpuWindow(os.environ["BENCH_CPU_DIR"])
    events.test_start.add_listener(_cpu_window.start)
    events.test_stop.add_listener(_cpu_window.stop)


if os.environ.get("BENCH_PATH"):  # only in benchmark runs; otherwise shoppers and staff

    class VariantUser(FastHttpUser):
        """One benchmark variant's listing, as fast as it answers (the runner picks the variant).

        FastHttpUser (geventhttpclient) spends a fraction of requests' CPU per request, so on a
        machine shared with the server the load generator takes less from what it measures.
        """

        wait_time = between(0, 0)
        path = os.environ.get("BENCH_PATH", "/api/v1/categories/{slug}/products/")
        page_size = int(os.environ.get("BENCH_PAGE_SIZE", "24"))
        max_items = int(os.environ.get("BENCH_MAX_ITEMS", page_size))  # the ceiling's page is fixed
        # "page": answers are checked as listing pages; "status": a 200 (the health check)
        check = os.environ.get("BENCH_CHECK", "page")
        # Each user checks the first answer and every n-th after it in full; the others only by
        # status (an error status is a failure either way). Parsing and checking a page cost
        # Locust a third of its CPU per request on the cheapest pages, CPU the server on the
        # same cores then lacks (the runner sets 10; 1 checks every answer).
        check_every = max(1, int(os.environ.get("BENCH_CHECK_EVERY", "1")))
        # The runner names the slugs, so the measured run holds nothing but the variant's requests.
        categories: list[str] = os.environ.get("BENCH_SLUGS", "").split(",")

        def on_start(self) -> None:
            if "{slug}" in self.path and not any(VariantUser.categories):
                VariantUser.categories = category_slugs(self.client.get("/api/v1/categories/").json())

        answers = 0

        @task
        def listing(self) -> None:
            if self.check == "status":
                url, name = self.path, self.path
            else:
                url = f"{self.path.format(slug=random.choice(self.categories))}?page_size={self.page_size}"
                name = self.path.format(slug="[slug]")
            self.answers += 1
            if (self.answers - 1) % self.check_every:
                self.client.get(url, name=name)  # the client fails an error status by itself
                return
            with self.client.get(url, name=name, catch_response=True) as r:
                if self.check == "status":
                    check_status(r)
                else:
                    check_page(r, self.max_items)
