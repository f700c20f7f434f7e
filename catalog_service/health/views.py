"""Liveness (/healthz) and readiness (/readyz) endpoints."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from catalog_service.health.checks import run_checks


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Return 200 while the process can answer at all; touches no server."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Return 200 when every backing server answers, else 503 naming those that are down."""
    results = run_checks()
    down = sorted(r.name for r in results if r.status != "up")
    body = {
        "status": "ok" if not down else "unavailable",
        "down": down,
        "checks": {r.name: r.as_dict() for r in results},
    }
    return JsonResponse(body, status=503 if down else 200)
