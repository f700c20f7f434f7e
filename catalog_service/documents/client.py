"""One MongoClient per process, created lazily on first use.

Lazy creation keeps the client out of gunicorn's master process (``--preload`` imports the
application before forking): a client created before ``fork`` carries sockets and monitor
threads that must not be shared with the children, so a process that finds a client made by
another pid replaces it.
"""

from __future__ import annotations

import os
import threading

from django.conf import settings
from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.database import Database

from catalog_service.documents.monitoring import recorder

_lock = threading.Lock()
_client: MongoClient | None = None
_client_pid: int | None = None


def client_options(*, appname: str) -> dict:
    """Return the keyword arguments of this service's MongoDB clients, blocking or asyncio."""
    config = settings.MONGODB
    return {
        "host": config["URL"],
        "serverSelectionTimeoutMS": config["SERVER_SELECTION_TIMEOUT_MS"],
        "connectTimeoutMS": config["CONNECT_TIMEOUT_MS"],
        "timeoutMS": config["OPERATION_TIMEOUT_MS"],
        "appname": appname,
        "tz_aware": True,
        "event_listeners": [recorder],
    }


def get_client() -> MongoClient:
    """Return this process's MongoClient, creating it on first use."""
    global _client, _client_pid
    pid = os.getpid()
    if _client is not None and _client_pid == pid:
        return _client
    with _lock:
        if _client is None or _client_pid != pid:
            _client = MongoClient(**client_options(appname="catalog"))
            _client_pid = pid
    return _client


def get_database() -> Database:
    """Return the service's MongoDB database (``settings.MONGODB["NAME"]``)."""
    return get_client()[settings.MONGODB["NAME"]]


def get_collection(model: type) -> Collection:
    """Return the collection that holds ``model``'s documents (``model.document_collection``)."""
    return get_database()[model.document_collection]


def close_client() -> None:
    """Close this process's client; the next ``get_client`` opens a new one."""
    global _client, _client_pid
    with _lock:
        if _client is not None and _client_pid == os.getpid():
            _client.close()
        _client, _client_pid = None, None
