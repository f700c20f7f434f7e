"""Every error the service answers is JSON with a message, whoever raised it.

DRF answers its own errors in JSON; Django's handlers (400, 403, 404, 500, CSRF failures)
and responses made outside DRF (a 405 from a plain view, django-axes' 429 lockout, an empty
error response of any middleware) would be HTML or empty. The handlers below answer JSON,
and ``JsonErrorsMiddleware`` rewrites any error response that is not JSON yet, keeping its
status and headers (``Allow``, ``Retry-After``), so a client can always read ``detail``.
"""

from __future__ import annotations

from http import HTTPStatus

from django.core.exceptions import DisallowedHost, RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponseBase, JsonResponse

from catalog_service.middleware_modes import BothModesMiddleware

# Headers of the original response that described its body; every other one (security headers,
# Allow, Retry-After, Vary, the request id) still applies to the JSON that replaces it.
BODY_HEADERS = frozenset(
    {"content-type", "content-length", "content-encoding", "etag", "last-modified", "content-disposition"}
)


def error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> JsonResponse:
    """Django's 400 handler: what was wrong, without echoing the input."""
    if isinstance(exception, RequestDataTooBig):
        return error(413, "The request body is too large.")
    if isinstance(exception, TooManyFieldsSent):
        return error(400, "Too many query or form fields.")
    if isinstance(exception, DisallowedHost):
        return error(400, "The Host header names a host this service does not serve.")
    return error(400, "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception) -> JsonResponse:
    return error(403, "You do not have permission to do this.")


def not_found(request: HttpRequest, exception: Exception) -> JsonResponse:
    return error(404, "Not found.")


def server_error(request: HttpRequest) -> JsonResponse:
    return error(500, "Internal server error. It has been logged.")


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    """CSRF_FAILURE_VIEW: Django's reason names the missing or wrong token, nothing secret."""
    return error(403, f"CSRF verification failed: {reason}" if reason else "CSRF verification failed.")


def as_json(response: HttpResponseBase) -> HttpResponseBase:
    """Return ``response`` itself when it is a success or JSON already, else a JSON error with
    its status, its reason phrase as the message and the headers that still apply."""
    if response.status_code < 400 or response.streaming:
        return response
    if response.get("Content-Type", "").startswith(("application/json", "application/problem+json")):
        return response
    try:
        detail = HTTPStatus(response.status_code).phrase + "."
    except ValueError:
        detail = "Error."
    if response.status_code == 429:
        detail = "Too many requests: try again later."
    replacement = error(response.status_code, detail)
    for name, value in response.items():
        if name.lower() not in BODY_HEADERS:
            replacement[name] = value
    for cookie in response.cookies.values():  # a session or pin cookie set on the way out
        replacement.cookies[cookie.key] = cookie
    response.close()  # the discarded response's resources (a file's handle)
    return replacement


class JsonErrorsMiddleware(BothModesMiddleware):
    """Outermost: every error response of the chain leaves as JSON (see the module)."""

    def handle(self, request: HttpRequest) -> HttpResponseBase:
        return as_json(self.get_response(request))

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        return as_json(await self.get_response(request))
