"""Django's middleware, adapted so that an ASGI request to the API pays no thread hop.

Django runs a ``MiddlewareMixin`` in an async chain by calling each of its hooks through
``sync_to_async`` (``process_request``, ``process_view``, ``process_response``): a hand-off to
a worker thread and back, twice per middleware, about 1,600 µs of CPU a request for the dozen
the chain had, four times what a WSGI request costs in all. Two adaptations remove them:

- ``InlineHooks``: middleware whose hooks only read the request and set headers (no I/O:
  security headers, ETags, host validation and slashes, frame options) run their hooks in
  the calling coroutine, as they do under WSGI.
- ``BrowserOnly``: middleware that serve people in a browser (the session, CSRF, the logged-in
  user, messages) are left out for the API and health paths (``settings.API_PATH_PREFIXES``),
  which use none of them: the public API authenticates no one and is read-only, and the
  probes answer machines. Elsewhere (Admin) they run as Django runs them.

Each class here is a subclass of Django's, so its checks (Admin's need for the session,
authentication and messages middleware) still recognise it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.http import HttpRequest, HttpResponseBase
from django.middleware import clickjacking, common, csrf, http, security


def is_api_request(request: HttpRequest) -> bool:
    """Whether the request is for the API or a health probe (no browser machinery needed)."""
    return request.path_info.startswith(tuple(settings.API_PATH_PREFIXES))


class InlineHooks:
    """Run a ``MiddlewareMixin``'s hooks in the calling coroutine (they do no I/O)."""

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.process_request(request) if hasattr(self, "process_request") else None
        response = response or await self.get_response(request)
        if hasattr(self, "process_response"):
            response = self.process_response(request, response)
        return response


class BrowserOnly:
    """Skip a ``MiddlewareMixin`` for API and health requests; elsewhere it runs unchanged.

    Django collects ``process_view`` from each instance and, in an async chain, wraps a sync
    one in ``sync_to_async``: a hop for every request, API ones included. So the instance
    offers a ``process_view`` of its chain's mode instead, which returns at once for the API.
    """

    get_response: Callable[..., Any]
    async_mode: bool

    def __init__(self, get_response: Callable[..., Any]) -> None:
        super().__init__(get_response)  # type: ignore[call-arg]
        inner_view = getattr(super(), "process_view", None)
        if inner_view is not None:
            adapt = self._async_view if self.async_mode else self._sync_view
            self.process_view = adapt(inner_view)

    def __call__(self, request: HttpRequest) -> Any:
        if is_api_request(request):
            return self.get_response(request)  # a coroutine in an async chain, awaited by the caller
        return super().__call__(request)  # type: ignore[misc]

    @staticmethod
    def _sync_view(inner: Callable[..., Any]) -> Callable[..., Any]:
        def process_view(request: HttpRequest, view: Callable, args: tuple, kwargs: dict) -> Any:
            return None if is_api_request(request) else inner(request, view, args, kwargs)

        return process_view

    @staticmethod
    def _async_view(inner: Callable[..., Any]) -> Callable[..., Any]:
        adapted = sync_to_async(inner, thread_sensitive=True)

        async def process_view(request: HttpRequest, view: Callable, args: tuple, kwargs: dict) -> Any:
            return None if is_api_request(request) else await adapted(request, view, args, kwargs)

        return process_view


class SecurityMiddleware(InlineHooks, security.SecurityMiddleware):
    pass


class ConditionalGetMiddleware(InlineHooks, http.ConditionalGetMiddleware):
    pass


class CommonMiddleware(InlineHooks, common.CommonMiddleware):
    pass


class XFrameOptionsMiddleware(InlineHooks, clickjacking.XFrameOptionsMiddleware):
    pass


class SessionMiddleware(BrowserOnly, sessions.SessionMiddleware):
    pass


class CsrfViewMiddleware(BrowserOnly, csrf.CsrfViewMiddleware):
    pass


class AuthenticationMiddleware(BrowserOnly, auth.AuthenticationMiddleware):
    pass


class MessageMiddleware(BrowserOnly, messages.MessageMiddleware):
    pass
