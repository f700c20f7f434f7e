"""The client's IP address, as the API throttle and the login lockout both see it."""

from __future__ import annotations

from django.http import HttpRequest
from rest_framework.settings import api_settings


def client_ip(request: HttpRequest) -> str:
    """Return the address of the client that sent ``request``.

    Behind ``NUM_PROXIES`` proxies (``DJANGO_TRUSTED_PROXY_COUNT``), each appending the
    address it received from to X-Forwarded-For, the client is the entry that many places from
    the right: entries further left were written by the client and can be forged. Without
    trusted proxies X-Forwarded-For is ignored, for the same reason. This is the rule of DRF's
    ``BaseThrottle.get_ident``, so a login lockout and an API throttle count the same client.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = api_settings.NUM_PROXIES
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if proxies and forwarded:
        addresses = [a.strip() for a in forwarded.split(",") if a.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return remote
