"""The ASGI path: nothing blocks the event loop, waits overlap, and each request keeps its own
routing state across awaits. (Behaviour shared with WSGI is tested against both interfaces by
the other API tests.)"""

import asyncio
import contextlib
import logging
import socket
import threading
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.conf import settings
from django.test import AsyncClient

from catalog_service.caching import wire
from catalog_service.db import aio
from catalog_service.db.middleware import PIN_COOKIE, signed_pin
from catalog_service.documents import client as mongo_client
from catalog_service.documents.aio_client import close_async_client
from tests.servers import ASGI, serve

pytestmark = pytest.mark.django_db(transaction=True)

LISTING = "/api/v1/categories/home/products/"


def run_in_fresh_loop(coroutine_function, *, debug=False):
    """Run ``coroutine_function()`` on a new event loop in its own thread, closing the loop's
    pools and clients before returning its result."""
    result = {}

    async def main():
        try:
            result["value"] = await coroutine_function()
        finally:
            await aio.close_pools()
            await wire.close_async_client()
            await close_async_client()

    thread = threading.Thread(target=lambda: asyncio.run(main(), debug=debug))
    thread.start()
    thread.join(120)
    return result["value"]


def test_no_callback_blocks_the_event_loop_on_any_path_of_the_aio_views(shop, caplog, settled, settings):
    """Under asyncio debug mode, no step of a request may hold the loop for 0.18 s. MongoDB
    answers through a proxy that holds every reply 0.25 s, so a blocking MongoDB call anywhere
    (a find_one left in a selector, a blocking client) would hold the loop past the limit.
    (The limit is above the ~0.1 s that a step of this test process can lose to other threads
    holding the GIL, or to a garbage collection, and that would not be a blocking call.)"""
    from urllib.parse import urlsplit

    settled()
    stack = contextlib.ExitStack()
    port = stack.enter_context(delaying_proxy(urlsplit(settings.MONGODB["URL"]).port, 0.25))
    settings.MONGODB = {**settings.MONGODB, "URL": f"mongodb://127.0.0.1:{port}/?directConnection=true"}
    # The blocking client too, should anything use it on the loop: a fresh one, through the proxy.
    original = (mongo_client._client, mongo_client._client_pid)
    mongo_client._client = mongo_client._client_pid = None

    def restore():
        if mongo_client._client is not None:
            mongo_client._client.close()
        mongo_client._client, mongo_client._client_pid = original

    stack.callback(restore)
    first_round = [
        (LISTING, {"page_size": 5}),
        (LISTING, {"page_size": 5, "ordering": "price", "attr": "color:red"}),
        ("/api/v1/categories/kitchen/products/", {"min_price": "2", "max_price": "9"}),
        (f"/api/v1/products/{shop['products'][3].pk}/", {}),
        ("/api/v1/categories/nope/products/", {}),
        (LISTING, {"page_size": "many"}),
        ("/api/v1/products/999999999/", {}),
        ("/api/v1/categories/home/facets/", {"attr": "color:red"}),
    ]
    # The same shapes with other values: misses again (rebuilds), then hits, under debug mode.
    second_round = [
        (LISTING, {"page_size": 7}),
        (LISTING, {"page_size": 7, "ordering": "-price", "attr": "color:blue"}),
        ("/api/v1/categories/garden/products/", {"min_price": "1", "max_price": "19"}),
        (f"/api/v1/products/{shop['products'][4].pk}/", {}),
        ("/api/v1/categories/none/products/", {}),
        (LISTING, {"ordering": "cheapest"}),
        ("/api/v1/categories/home/facets/", {"attr": "color:blue", "facets": "color,size"}),
    ]

    async def scenario():
        loop = asyncio.get_running_loop()
        loop.slow_callback_duration = 60  # not measured: imports, connections, pools, the first time
        client = AsyncClient()
        for path, params in first_round:
            await client.get(path, params)
        loop.slow_callback_duration = 0.18
        statuses = []
        for _ in range(2):  # misses, then hits
            responses = await asyncio.gather(*(client.get(path, params) for path, params in second_round))
            statuses.append([r.status_code for r in responses])
        loop.slow_callback_duration = 60  # closing the pools afterwards is not a request either
        return statuses

    with stack, caplog.at_level(logging.WARNING, logger="asyncio"):
        statuses = run_in_fresh_loop(scenario, debug=True)
    assert statuses == [[200, 200, 200, 200, 404, 400, 200]] * 2
    slow = [r.getMessage() for r in caplog.records if r.name == "asyncio" and "took" in r.getMessage()]
    assert slow == []


def test_each_request_keeps_its_routing_state_across_awaits(shop, settled, django_user_model):
    settled()
    pinned, plain = AsyncClient(), AsyncClient()
    pinned.force_login(django_user_model.objects.create_user("writer", password="pw"))
    # As after a committed write by this session: a pin bound to it.
    pinned.cookies[PIN_COOKIE] = signed_pin(pinned.cookies[settings.SESSION_COOKIE_NAME].value)

    async def scenario():
        with aio.statements.record() as statements:
            responses = await asyncio.gather(
                *((pinned if i % 2 else plain).get(LISTING, {"page_size": i + 1}) for i in range(20))
            )
        return responses, statements

    responses, statements = run_in_fresh_loop(scenario)
    assert [r.status_code for r in responses] == [200] * 20
    assert {r["X-Cache"] for r in responses} == {"miss"}  # each built its page: one statement each
    by_host = Counter("primary" if alias == "default" else "replica" for alias, _sql in statements)
    assert by_host == {"primary": 10, "replica": 10}, statements


@contextlib.contextmanager
def delaying_proxy(upstream_port, delay):
    """A TCP proxy to 127.0.0.1:upstream_port that holds every reply chunk for ``delay`` seconds."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def pump(source, target, pause):
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                if pause:
                    time.sleep(pause)
                target.sendall(data)
        for sock in (source, target):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def accept():
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server = socket.create_connection(("127.0.0.1", upstream_port))
            threading.Thread(target=pump, args=(client, server, 0), daemon=True).start()
            threading.Thread(target=pump, args=(server, client, delay), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        listener.close()


def test_one_asgi_worker_serves_twenty_requests_at_once_while_mongodb_is_slow(shop):
    from urllib.parse import urlsplit

    mongo_port = urlsplit(settings.MONGODB["URL"]).port
    with delaying_proxy(mongo_port, 0.2) as port:
        url = f"mongodb://127.0.0.1:{port}/?directConnection=true"
        with serve(ASGI, workers=1, MONGODB_URL=url) as base:

            def fetch(page_size):
                listing = f"{base}{LISTING}?page_size={page_size}"
                with urllib.request.urlopen(listing, timeout=30) as response:
                    return response.status, response.headers["X-Cache"]

            assert fetch(1) == (200, "miss")  # connections opened, through the slow proxy
            start = time.perf_counter()
            with ThreadPoolExecutor(20) as pool:
                answers = list(pool.map(fetch, range(2, 22)))  # 20 different pages: 20 finds
            elapsed = time.perf_counter() - start
    assert answers == [(200, "miss")] * 20
    # One after the other they would take at least 20 x 0.2 s; on one event loop they overlap.
    assert elapsed < 20 * 0.2 / 2, elapsed
