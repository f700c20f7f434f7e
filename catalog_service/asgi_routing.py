"""Under ASGI, requests resolve against ``settings.ASGI_URLCONF``: the same URLs, with the
async implementations of the endpoints that have one (the listing and the product detail).

Both interfaces share settings and code, so the choice is made per request, by the request's
type: Django's test ``Client`` and gunicorn's sync workers get the WSGI views, ``AsyncClient``
and uvicorn workers the async ones, which lets one test suite run against both.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponseBase


class AsgiURLConfMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[..., HttpResponseBase | Awaitable[HttpResponseBase]]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if iscoroutinefunction(self):
            return self.__acall__(request)
        if isinstance(request, ASGIRequest):  # an ASGI server with a sync chain: still its URLs
            request.urlconf = settings.ASGI_URLCONF
        return self.get_response(request)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        if isinstance(request, ASGIRequest):
            request.urlconf = settings.ASGI_URLCONF
        return await self.get_response(request)
