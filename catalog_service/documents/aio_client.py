"""One AsyncMongoClient per event loop, created lazily on first use (the ASGI path).

An asyncio client belongs to the loop it first ran on; each worker process has one loop, but
tests and management code may run several, so clients are kept per loop and dropped with it.
"""

from __future__ import annotations

import asyncio
import weakref

from django.conf import settings
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from catalog_service.documents.client import client_options

_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, AsyncMongoClient] = weakref.WeakKeyDictionary()


def get_async_client() -> AsyncMongoClient:
    """Return the running loop's client, creating it (without any I/O) on first use."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = AsyncMongoClient(**client_options(appname="catalog-async"))
        _clients[loop] = client
    return client


def get_async_collection(model: type) -> AsyncCollection:
    """Return the running loop's handle on ``model``'s collection."""
    return get_async_client()[settings.MONGODB["NAME"]][model.document_collection]


async def close_async_client() -> None:
    """Close the running loop's client (at shutdown; the next use opens a new one)."""
    client = _clients.pop(asyncio.get_running_loop(), None)
    if client is not None:
        await client.close()
