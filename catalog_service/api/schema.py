"""The OpenAPI shapes every app's endpoints share: the error bodies of
``catalog_service.api.exceptions`` (a 400 names its parameters; every other error is a detail)."""

from __future__ import annotations

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

# A raw schema: the keys are the names of the invalid parameters, which a serializer cannot say.
VALIDATION_ERROR = {
    "type": "object",
    "description": "Each invalid parameter by name, with what was wrong with it.",
    "minProperties": 1,
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
    "example": {"min_price": ["a decimal number such as 19.99"]},
}
DETAIL_ERROR = inline_serializer("Error", {"detail": serializers.CharField()})
