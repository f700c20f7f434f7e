"""Under ASGI the API path pays no thread hop: no request to it submits work to an executor
(asgiref's ``sync_to_async`` runs code in a thread pool; each submission is a hop and costs
more CPU than a cache hit's whole work).

Requests go through the real ASGI application (``catalog_service.asgi.application``: the
handler and the whole middleware chain), on an event loop in a thread of its own, as uvicorn
runs it."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import functools
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.current_thread_executor import CurrentThreadExecutor

from tests.conftest import wait_for_replicas

LISTING = "/api/v1/categories/home/products/"


@contextlib.contextmanager
def counting_submissions() -> Iterator[list[str]]:
    """Record every submission to a thread pool (asgiref's and the loop's default executor are
    ThreadPoolExecutors) or to asgiref's CurrentThreadExecutor, with what was submitted."""
    submitted: list[str] = []
    originals = {cls: cls.submit for cls in (concurrent.futures.ThreadPoolExecutor, CurrentThreadExecutor)}

    def counted(original: Any) -> Any:
        def submit(self: Any, fn: Any, /, *args: Any, **kwargs: Any) -> Any:
            submitted.append(_name(fn))
            return original(self, fn, *args, **kwargs)

        return submit

    for cls, original in originals.items():
        cls.submit = counted(original)
    try:
        yield submitted
    finally:
        for cls, original in originals.items():
            cls.submit = original


def _name(target: Any) -> str:
    """What was submitted: through asgiref's partials, down to the function that was adapted."""
    while isinstance(target, functools.partial):
        target = target.args[-1] if target.args and callable(target.args[-1]) else target.func
    inner = getattr(target, "func", None)  # a SyncToAsync or method wrapper around it
    return getattr(inner or target, "__qualname__", repr(target))


async def asgi_get(path: str, query: str = "", method: str = "GET") -> dict[str, Any]:
    from catalog_service.asgi import application

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "root_path": "", "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
    }  # fmt: skip
    messages = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.Event().wait()  # no disconnect: the server cancels this when it is done
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await application(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = {name.lower(): value for name, value in start["headers"]}
    return {"status": start["status"], "headers": headers, "body": body}


def get(
    event_loop_thread: Any, path: str, query: str = "", method: str = "GET"
) -> tuple[dict[str, Any], list[str]]:
    wait_for_replicas()
    with counting_submissions() as submitted:
        response = event_loop_thread.run(asgi_get(path, query, method))
    return response, submitted


@pytest.mark.django_db(transaction=True)
def test_a_cached_listing_and_the_health_probe_pay_no_thread_hop(event_loop_thread, shop, settled):
    settled()
    first, _ = get(event_loop_thread, LISTING, "page_size=5")  # builds and caches the page
    assert first["status"] == 200, first
    hit, submitted = get(event_loop_thread, LISTING, "page_size=5")
    assert hit["status"] == 200 and hit["headers"].get(b"x-cache") == b"hit", (
        hit["status"],
        hit["headers"],
        hit["body"][:300],
    )
    assert submitted == [], submitted
    health, submitted = get(event_loop_thread, "/healthz")
    assert health["status"] == 200 and submitted == [], submitted


@pytest.mark.django_db(transaction=True)
def test_the_counter_sees_a_hop(event_loop_thread):
    from asgiref.sync import sync_to_async

    with counting_submissions() as submitted:
        event_loop_thread.run(sync_to_async(lambda: None)())
    assert len(submitted) == 1


@pytest.mark.django_db(transaction=True)
def test_a_sync_view_on_the_api_path_has_its_connections_closed_in_a_thread(event_loop_thread, shop):
    """The category tree is a sync (DRF) view: it runs the ORM in a thread, so the response is
    closed there too (request_finished's receivers must not touch a connection on the loop)."""
    for _ in range(2):  # the second request finds the first one's connection, if any was kept
        response, submitted = get(event_loop_thread, "/api/v1/categories/")
        assert response["status"] == 200 and b"home" in response["body"]
        assert "HttpResponseBase.close" in submitted


@pytest.mark.django_db(transaction=True)
def test_what_an_async_view_hands_to_drf_is_closed_in_the_sync_thread(event_loop_thread, shop):
    response, submitted = get(event_loop_thread, LISTING, "page_size=5", method="OPTIONS")
    assert response["status"] == 200
    assert "HttpResponseBase.close" in submitted
