"""Django's AsyncClient behind the test Client's sync interface, so the same tests drive the
ASGI path (async views, asyncio clients) and the WSGI one.

Requests run on one event loop in a thread of its own for the whole session, as in an ASGI
worker: the loop's pools and clients are created once and reused across requests.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

from asgiref.sync import sync_to_async
from django.db import connections
from django.test import AsyncClient


class EventLoopThread:
    """An event loop running in a daemon thread; ``run`` waits for a coroutine's result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="asgi-test-loop", daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        from catalog_service.caching import wire
        from catalog_service.db import aio
        from catalog_service.documents.aio_client import close_async_client

        async def shutdown() -> None:
            await aio.close_pools()
            await wire.close_async_client()
            await close_async_client()
            # The sync views ASGI ran in asgiref's thread hold Django connections of their own.
            await sync_to_async(connections.close_all)()

        self.run(shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)


class AsgiClient:
    """``client.get(...)`` and friends, answered by the ASGI handler on ``loop``."""

    def __init__(self, loop: EventLoopThread, before_request: Callable[[], None] = lambda: None) -> None:
        self._client = AsyncClient()
        self._loop = loop
        self._before = before_request

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if name not in {"get", "post", "head", "put", "patch", "delete", "options", "generic"}:
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._before()
            return self._loop.run(attribute(*args, **kwargs))

        return call
