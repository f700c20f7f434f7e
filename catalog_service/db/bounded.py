"""psycopg connections that give up on a server that stops answering on an open connection.

A frozen or wedged server still has a kernel that acknowledges every packet, so neither TCP
keepalives nor ``tcp_user_timeout`` notice it, and its own ``statement_timeout`` cannot fire:
a plain connection waits for the reply forever. These connections bound every wait for a reply
(``reply_timeout`` seconds; None, the default, waits as psycopg does). When the bound passes, the
connection is closed (its protocol state is unknown) and ``ServerStalled`` is raised, an
``OperationalError``: Django, the failover wrapper and the asyncio pools treat it as a session
that died, so a replica's read runs again on another host.

Connecting is bounded by libpq's ``connect_timeout`` already; this covers the rest.
"""

from __future__ import annotations

import time
from typing import Any

import psycopg


class ServerStalled(psycopg.OperationalError):
    """The server did not answer within the connection's ``reply_timeout``."""


def _stalled(started: float, bound: float) -> bool:
    return time.monotonic() - started >= bound


class BoundedConnection(psycopg.Connection):
    """A blocking connection whose waits for the server end after ``reply_timeout`` seconds."""

    reply_timeout: float | None = None
    stalled: bool = False

    def wait(self, gen: Any, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        bound = self.reply_timeout
        if timeout is not None or bound is None:  # psycopg's own bounded waits keep theirs
            return super().wait(gen, *args, timeout=timeout, **kwargs)
        started = time.monotonic()
        try:
            return super().wait(gen, *args, timeout=bound, **kwargs)
        except psycopg.OperationalError as exc:
            if not _stalled(started, bound):
                raise
            self.stalled = True
            self.close()
            raise ServerStalled(f"the server did not answer within {bound:g}s") from exc


class BoundedAsyncConnection(psycopg.AsyncConnection):
    """The asyncio counterpart of ``BoundedConnection`` (the ASGI path's pools).

    Cancelling the awaiting task is no substitute: psycopg then asks the server to cancel the
    query and waits for its answer again, which a stuck server never sends.
    """

    reply_timeout: float | None = None
    stalled: bool = False

    async def wait(self, gen: Any, *args: Any, timeout: float | None = None, **kwargs: Any) -> Any:
        bound = self.reply_timeout
        if timeout is not None or bound is None:
            return await super().wait(gen, *args, timeout=timeout, **kwargs)
        started = time.monotonic()
        try:
            return await super().wait(gen, *args, timeout=bound, **kwargs)
        except psycopg.OperationalError as exc:
            if not _stalled(started, bound):
                raise
            self.stalled = True
            await self.close()
            raise ServerStalled(f"the server did not answer within {bound:g}s") from exc
