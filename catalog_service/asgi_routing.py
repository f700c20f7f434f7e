"""Under ASGI, requests resolve against ``settings.ASGI_URLCONF``: the same URLs, with the
async implementations of the endpoints that have one (the listing and the product detail).

Both interfaces share settings and code, so the choice is made per request, by the request's
type: Django's test ``Client`` and gunicorn's sync workers get the WSGI views, ``AsyncClient``
and uvicorn workers the async ones, which lets one test suite run against both.
"""

from __future__ import annotations

from django.conf import settings
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponseBase

from catalog_service.middleware_modes import BothModesMiddleware


class AsgiURLConfMiddleware(BothModesMiddleware):
    def handle(self, request: HttpRequest) -> HttpResponseBase:
        if isinstance(request, ASGIRequest):  # an ASGI server with a sync chain: still its URLs
            request.urlconf = settings.ASGI_URLCONF
        return self.get_response(request)

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        if isinstance(request, ASGIRequest):
            request.urlconf = settings.ASGI_URLCONF
        return await self.get_response(request)
