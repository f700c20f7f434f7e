"""Read-your-writes across requests: a signed cookie pins a client that wrote to the primary."""

from __future__ import annotations

from django.conf import settings
from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponseBase

from catalog_service.db import state
from catalog_service.middleware_modes import BothModesMiddleware

PIN_COOKIE = "db_pin"
PIN_SALT = "catalog_service.db.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class PrimaryPinningMiddleware(BothModesMiddleware):
    """Give each request its routing state; pin clients to the primary after they write.

    An unsafe request (POST, PUT, PATCH, DELETE: Admin saves included) reads from the primary
    throughout, and its response carries a signed cookie (HttpOnly, SameSite=Lax, Secure over
    HTTPS) that keeps the client on the primary for ``PINNING_SECONDS``, longer than replicas
    are allowed to lag, so it sees its own writes. A safe request that wrote pins it too.
    """

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        with state.scope(self._begin(request)) as current:
            response = self.get_response(request)
        return self._finish(request, response, current)

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        with state.scope(self._begin(request)) as current:
            response = await self.get_response(request)
        return self._finish(request, response, current)

    def _begin(self, request: HttpRequest) -> state.RoutingState:
        safe = request.method in SAFE_METHODS
        return state.RoutingState(
            pinned=not safe or self._has_pin(request), in_request=True, safe_request=safe
        )

    def _has_pin(self, request: HttpRequest) -> bool:
        try:
            request.get_signed_cookie(PIN_COOKIE, salt=PIN_SALT, max_age=settings.PINNING_SECONDS)
        except (KeyError, BadSignature):  # absent, tampered with, or expired
            return False
        return True

    def _finish(
        self, request: HttpRequest, response: HttpResponseBase, current: state.RoutingState
    ) -> HttpResponseBase:
        if request.method not in SAFE_METHODS or current.wrote:
            response.set_signed_cookie(
                PIN_COOKIE,
                "1",
                salt=PIN_SALT,
                max_age=settings.PINNING_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
