"""A base for middleware that runs in sync (WSGI) and async (ASGI) middleware chains alike.

Django picks the mode from ``sync_capable``/``async_capable`` and calls the instance; an
instance built around a coroutine ``get_response`` must itself look like a coroutine function.
Subclasses write ``handle`` (sync) and ``ahandle`` (async).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase


class BothModesMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase | Awaitable[HttpResponseBase]]):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if iscoroutinefunction(self):
            return self.ahandle(request)
        return self.handle(request)

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        raise NotImplementedError

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        raise NotImplementedError
