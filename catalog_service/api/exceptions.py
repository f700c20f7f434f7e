"""API errors: an unreachable backing server is a 503 with a message, never a 500 or a hang."""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from pymongo.errors import PyMongoError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = "5"


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus 503 (with Retry-After) when MongoDB or the databases fail."""
    response = drf_exception_handler(exc, context)
    if response is not None:
        return response
    if isinstance(exc, PyMongoError | DatabaseError):
        store = "MongoDB" if isinstance(exc, PyMongoError) else "the database"
        log.warning("%s failed while serving %s: %s", store, context["request"].path, exc)
        detail = f"The catalog is temporarily unavailable ({store} did not answer). Try again shortly."
        return Response(
            {"detail": detail},
            status=503,
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    return None
