"""Liveness (/healthz) and readiness (/readyz) endpoints."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from catalog_service.health.access import presents_health_token
from catalog_service.health.monitor import readiness


@require_safe  # probes GET or HEAD; anything else is a 405
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Return 200 while the process can answer at all; touches no server."""
    return JsonResponse({"status": "ok"})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Return 200 while the primary and MongoDB answer (status "degraded" when a replica or
    Redis is down or a replica lags), else 503.

    Anyone gets ``{"status": ...}``; each server's state and details (names, versions, lag,
    counters) only a client presenting ``HEALTH_TOKEN``. The result is this process's shared
    one, at most a second old (``catalog_service.health.monitor``).
    """
    result = readiness.current()
    body = result.details() if presents_health_token(request) else {"status": result.status}
    response = JsonResponse(body, status=200 if result.available else 503)
    patch_vary_headers(response, ["Authorization"])
    return response


@never_cache
async def ahealthz(request: HttpRequest) -> JsonResponse:
    """``healthz`` for ASGI requests (``catalog_service.urls_asgi``): a sync view would be run
    in a thread, a hop that costs more than the probe itself."""
    if request.method not in ("GET", "HEAD"):
        return JsonResponse({"detail": "Method not allowed."}, status=405, headers={"Allow": "GET, HEAD"})
    return JsonResponse({"status": "ok"})
