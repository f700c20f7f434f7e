"""Django's ASGI handler, without its two thread hops per request on the API path.

Django's ``ASGIHandler.handle`` sends ``request_started`` with ``asend``, which runs the sync
receivers through ``sync_to_async``, and closes the response through ``sync_to_async`` (closing
sends ``request_finished``). Those receivers are Django's own, ``reset_queries`` and
``close_old_connections``: they look after the sync database connections of the thread that
runs sync views, and a request answered by an async view has none (the async views read
through the asyncio pools; a cache hit touches no database). So for API and health paths
(``settings.API_PATH_PREFIXES``) the handler skips ``request_started``, and closes the response
inline when an async view answered it; when a sync view did (the category tree, ``/readyz``),
it closes it in that thread as Django does, so that thread's connections are still looked
after at the end of each request. Every other path (Admin) is handled exactly as Django does.

``handle_api`` follows Django 5.2's ``ASGIHandler.handle`` line for line otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from asgiref.sync import iscoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import HttpRequest, HttpResponseBase
from django.urls import set_script_prefix


def is_api_scope(scope: dict[str, Any]) -> bool:
    """Whether an ASGI request is for the API or a health probe (its path below root_path)."""
    path = scope["path"]
    root = scope.get("root_path", "")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path.startswith(tuple(settings.API_PATH_PREFIXES))


SYNC_VIEW_RAN = "catalog_sync_view_ran"


def mark_sync_view(request: HttpRequest) -> None:
    """Say that an async view handed ``request`` to a sync view (which used the sync thread)."""
    setattr(request, SYNC_VIEW_RAN, True)


async def close(request: HttpRequest | None, response: HttpResponseBase) -> None:
    """Close the response, which sends ``request_finished``: inline after an async view that did
    all the work, else in the thread where sync views run (their connections are that thread's)."""
    match = getattr(request, "resolver_match", None)
    if match is not None and iscoroutinefunction(match.func) and not getattr(request, SYNC_VIEW_RAN, False):
        response.close()
    else:
        await sync_to_async(response.close)()


class CatalogASGIHandler(ASGIHandler):
    async def handle(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if is_api_scope(scope):
            await self.handle_api(scope, receive, send)
        else:
            await super().handle(scope, receive, send)

    async def handle_api(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        set_script_prefix(get_script_prefix(scope))
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            body_file.close()
            await self.send_response(error_response, send)
            await close(request, error_response)
            return

        async def process_request() -> Any:
            response = await self.run_get_response(request)
            with contextlib.suppress(asyncio.CancelledError):  # the client left while it was sent
                await self.send_response(response, send)
            return response

        # As Django does: watch for a disconnect while the response is made, and cancel it then.
        tasks = [
            asyncio.create_task(self.listen_for_disconnect(receive)),
            asyncio.create_task(process_request()),
        ]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            if task.done():
                try:
                    task.result()
                except RequestAborted:
                    pass
                except AssertionError:
                    body_file.close()
                    raise
            else:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        try:
            response = tasks[1].result()
        except asyncio.CancelledError:
            pass  # nothing to close; request_finished has nothing to do here (see above)
        else:
            await close(request, response)
        body_file.close()
