"""JSON rendering with orjson: the same JSON as DRF's renderer, several times faster."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

import orjson
from django.utils.functional import Promise
from rest_framework.renderers import BaseRenderer


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal | Promise | uuid.UUID):
        return str(value)
    if isinstance(value, datetime.timedelta):
        return str(value.total_seconds())
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "__iter__") and not isinstance(value, dict | str | bytes):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


class ORJSONRenderer(BaseRenderer):
    """Renders ``application/json`` with orjson (UTF-8, no spaces)."""

    media_type = "application/json"
    format = "json"
    charset = None  # orjson writes UTF-8 bytes; JSON needs no charset parameter

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: dict | None = None
    ) -> bytes:
        if data is None:
            return b""
        return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS)
