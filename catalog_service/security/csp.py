"""A Content-Security-Policy on every HTML page the service serves: Admin, the Swagger UI at
/api/docs/, the browsable API and anything else rendered for a browser.

Scripts and styles come only from this origin (the Swagger UI is the split view, whose
initialisation script is a URL of its own rather than inline; Django's admin has no inline
scripts), nothing may frame a page, and forms post only here. JSON responses need no policy;
a browser never renders them. Written here rather than taken from django-csp: its middleware
is a ``MiddlewareMixin``, which in an ASGI chain costs a thread hop per request.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseBase

from catalog_service.middleware_modes import BothModesMiddleware

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",  # Swagger UI and the admin set style attributes
        "img-src 'self' data:",  # Swagger UI's icons are data: URLs
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def with_policy(response: HttpResponseBase) -> HttpResponseBase:
    if response.get("Content-Type", "").startswith("text/html") and "Content-Security-Policy" not in response:
        response["Content-Security-Policy"] = POLICY
    return response


class ContentSecurityPolicyMiddleware(BothModesMiddleware):
    def handle(self, request: HttpRequest) -> HttpResponseBase:
        return with_policy(self.get_response(request))

    async def ahandle(self, request: HttpRequest) -> HttpResponseBase:
        return with_policy(await self.get_response(request))
