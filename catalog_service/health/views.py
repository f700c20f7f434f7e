"""Liveness (/healthz) and readiness (/readyz) endpoints."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from catalog_service.health.checks import run_checks


@require_safe  # probes GET or HEAD; anything else is a 405
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Return 200 while the process can answer at all; touches no server."""
    return JsonResponse({"status": "ok"})


# Without these the service cannot answer; replicas fail over to the primary and the cache
# degrades to the databases, so their loss is reported but keeps the instance in rotation.
CRITICAL = frozenset({"primary", "mongodb"})


@require_safe
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Return 200 while the primary and MongoDB answer (status "degraded" when a replica or
    Redis is down or a replica lags), else 503; the body reports each server's state."""
    results = run_checks()
    down = sorted(r.name for r in results if r.status == "down")
    lagging = sorted(r.name for r in results if r.status == "lagging")
    critical = sorted(set(down) & CRITICAL)
    status = "unavailable" if critical else "degraded" if down or lagging else "ok"
    body = {
        "status": status,
        "down": down,
        "lagging": lagging,
        "checks": {r.name: r.as_dict() for r in results},
    }
    return JsonResponse(body, status=503 if critical else 200)


@never_cache
async def ahealthz(request: HttpRequest) -> JsonResponse:
    """``healthz`` for ASGI requests (``catalog_service.urls_asgi``): a sync view would be run
    in a thread, a hop that costs more than the probe itself."""
    if request.method not in ("GET", "HEAD"):
        return JsonResponse({"detail": "Method not allowed."}, status=405, headers={"Allow": "GET, HEAD"})
    return JsonResponse({"status": "ok"})
