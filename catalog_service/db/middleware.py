"""Read-your-writes across requests: a signed cookie pins a client that wrote to the primary.

Only a client that can be told apart gets one: the cookie is set after a committed write by an
authenticated session (an editor saving in Admin, a login), and it names that session, so it
pins no one else. An anonymous unsafe request reads the primary while it runs but is given no
cookie: anonymous clients write nothing, and a cookie replayed from such a request would let
any client send its reads to the primary.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core import signing
from django.core.signing import BadSignature
from django.http import HttpRequest, HttpResponseBase

from catalog_service.db import state
from catalog_service.middleware_modes import BothModesMiddleware

PIN_COOKIE = "db_pin"
PIN_SALT = "catalog_service.db.pin"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def pin_value(session_key: str) -> str:
    """What the pin cookie holds for a session (signed on top): a digest, not the key itself."""
    return hashlib.blake2b(session_key.encode(), digest_size=16).hexdigest()


def signed_pin(session_key: str) -> str:
    """The pin cookie's whole value for a session, as ``set_signed_cookie`` writes it."""
    return signing.get_cookie_signer(salt=PIN_COOKIE + PIN_SALT).sign(pin_value(session_key))


def _authenticated(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)  # set by AuthenticationMiddleware, inside this one
    return bool(user is not None and user.is_authenticated)


class PrimaryPinningMiddleware(BothModesMiddleware):
    """Give each request its routing state; pin authenticated clients to the primary after
    they write.

    An unsafe request (POST, PUT, PATCH, DELETE: Admin saves included) reads from the primary
    throughout. When a write of an authenticated session commits, the response carries a signed
    cookie (HttpOnly, SameSite=Lax, Secure over HTTPS) bound to that session, which keeps it on
    the primary for ``PINNING_SECONDS``, longer than replicas are allowed to lag, so it sees its
    own writes.
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
        """A valid pin: signed by us, not expired, and naming the session the request carries
        (read from its cookie: no session lookup)."""
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if not session_key or PIN_COOKIE not in request.COOKIES:
            return False
        try:
            value = request.get_signed_cookie(PIN_COOKIE, salt=PIN_SALT, max_age=settings.PINNING_SECONDS)
        except BadSignature:  # tampered with, or expired
            return False
        return value == pin_value(session_key)

    def _finish(
        self, request: HttpRequest, response: HttpResponseBase, current: state.RoutingState
    ) -> HttpResponseBase:
        if current.committed_write and _authenticated(request):
            # The session was saved by SessionMiddleware on the way out (inside this one): its
            # key is final, a login's new key included.
            session_key = request.session.session_key
            if session_key:
                response.set_cookie(
                    PIN_COOKIE,
                    signed_pin(session_key),
                    max_age=settings.PINNING_SECONDS,
                    httponly=True,
                    samesite="Lax",
                    secure=request.is_secure(),
                )
        return response
