"""Who may read /readyz's detailed body: a client that presents ``HEALTH_TOKEN``."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest

_SCHEME = "bearer "


def presents_health_token(request: HttpRequest) -> bool:
    """Return True when ``request`` carries ``Authorization: Bearer <HEALTH_TOKEN>``.

    The comparison takes the same time wherever the first difference is, so the answer's
    timing tells nothing about the token. With no token configured no one qualifies.
    """
    expected = settings.HEALTH_TOKEN
    header = request.headers.get("Authorization", "")
    if not expected or header[: len(_SCHEME)].lower() != _SCHEME:
        return False
    return hmac.compare_digest(header[len(_SCHEME) :].strip().encode(), expected.encode())
