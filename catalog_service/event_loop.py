"""Whether the caller runs on an event loop: code shared by the WSGI and ASGI paths must not
block there. A module of its own because every layer asks (the routers, the cache, replica
health), and none of them should import another layer to find out."""

from __future__ import annotations

import asyncio


def in_event_loop() -> bool:
    """Return True when called on a running event loop's thread (no blocking I/O allowed)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
