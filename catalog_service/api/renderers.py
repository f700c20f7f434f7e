"""JSON rendering with orjson (the same JSON as DRF's renderer, several times faster), and the
content negotiation that offers the browsable API only where it is turned on."""

from __future__ import annotations

import datetime
import decimal
import uuid
from typing import Any

import orjson
from django.conf import settings
from django.http import Http404
from django.utils.functional import Promise
from rest_framework.exceptions import NotAcceptable, ValidationError
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer
from rest_framework.request import Request


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


class JsonUnlessBrowsable(DefaultContentNegotiation):
    """DRF's negotiation, with the browsable API only when ``settings.API_BROWSABLE`` says so
    (read per request, so a test can turn it on). Without it a client that accepts only HTML
    gets JSON rather than a 406: the API serves JSON. A ``format`` the view does not render is
    a 400 naming the parameter."""

    def select_renderer(
        self, request: Request, renderers: list[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        if not settings.API_BROWSABLE:
            renderers = [r for r in renderers if not isinstance(r, BrowsableAPIRenderer)] or renderers
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:  # raised for a format no renderer has
            formats = ", ".join(sorted({r.format for r in renderers}))
            raise ValidationError({self.settings.URL_FORMAT_OVERRIDE: [f"one of {formats}"]}) from None
        except NotAcceptable:
            if settings.API_BROWSABLE:
                raise
            return renderers[0], renderers[0].media_type
