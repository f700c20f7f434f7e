"""A request id for every request: taken from X-Request-ID when sane, else generated.

The id lives in a context variable, so it is right under threads and async alike (each request
runs in a context of its own, and ``sync_to_async`` carries it into the thread), and every log
record made while the request is served carries it (``logs.RequestIdFilter``). The response
echoes it in X-Request-ID, where gunicorn's access log and the client find it.
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponseBase

from catalog_service.middleware_modes import BothModesMiddleware

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# What a proxy or a client may send us (a UUID, a hex digest, an AWS trace id): no spaces,
# quotes or control characters, so the id cannot forge or break a log line.
SANE = re.compile(r"^[A-Za-z0-9._:@=+/-]{1,128}$")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def get_request_id() -> str | None:
    """Return the id of the request being served here, or None outside a request."""
    return _request_id.get()


def request_id_for(request: HttpRequest) -> str:
    """Return the id the caller sent, when sane, else a new one (32 hex digits)."""
    sent = request.META.get(META_KEY, "")
    return sent if SANE.match(sent) else uuid.uuid4().hex


class RequestIdMiddleware(BothModesMiddleware):
    """Give each request its id for the time it is served, and answer with it in X-Request-ID."""

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_for(request)
        token = _request_id.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _request_id.reset(token)  # a worker's next request, or its idle logging, is not this one
        response[HEADER] = request_id
        return response

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_for(request)
        token = _request_id.set(request_id)
        try:
            response = await self.get_response(request)
        finally:
            _request_id.reset(token)
        response[HEADER] = request_id
        return response
