"""The origin the API's links start with, and the base its cached responses are keyed under.

A cached body holds absolute links, so whatever its links depend on is part of its cache key:
the origin and the script prefix (``SCRIPT_NAME``, ASGI's ``root_path``), read from the
request for links and keys alike. The origin is one
value, not whatever a client writes in its Host header: ``PUBLIC_BASE_URL`` when configured,
else the request's scheme and host name (validated against ``ALLOWED_HOSTS``) with a port only
when it is the one the request arrived on. Any other port in a Host header is a client's
choice, and each would otherwise get cache entries of its own.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port
from django.urls import get_script_prefix

DEFAULT_PORTS = {"http": "80", "https": "443"}


def public_origin(request: HttpRequest) -> str:
    """Return ``scheme://host[:port]`` for the links of a response to ``request``."""
    if settings.PUBLIC_BASE_URL:
        return settings.PUBLIC_BASE_URL
    scheme = request.scheme
    domain, port = split_domain_port(request.get_host())  # get_host checks ALLOWED_HOSTS
    if port and (port == DEFAULT_PORTS.get(scheme) or port != local_port(request)):
        port = ""
    return f"{scheme}://{domain}:{port}" if port else f"{scheme}://{domain}"


def local_port(request: HttpRequest) -> str:
    """The port the request arrived on: of the listening socket, not of the Host header
    (gunicorn fills ``SERVER_PORT`` from the Host header; its socket knows better)."""
    sock = request.META.get("gunicorn.socket")
    if sock is not None:
        try:
            address = sock.getsockname()
        except OSError:
            return ""
        return str(address[1]) if isinstance(address, tuple) else ""  # a Unix socket: no port
    return str(request.META.get("SERVER_PORT", ""))


def script_name(request: HttpRequest) -> str:
    """The request's script prefix without its last slash (``""`` or ``/shop``): the part of
    ``request.path`` before ``path_info``, from ``SCRIPT_NAME`` or ASGI's ``root_path``. Read from
    the request itself, not from the thread's prefix ``reverse()`` uses, which only a server's
    handler sets (Django's test clients do not): links and keys follow one value."""
    path, path_info = request.path, request.path_info
    return path[: len(path) - len(path_info)] if path_info and path.endswith(path_info) else ""


def link_base(request: HttpRequest) -> str:
    """Return the origin and script prefix every link of a response to ``request`` starts with
    (ending with ``/``): what its cache key must cover besides the resource and the query."""
    return f"{public_origin(request)}{script_name(request)}/"


def absolute_link(request: HttpRequest, reversed_path: str) -> str:
    """Return a path from ``reverse()`` as an absolute link under ``link_base(request)``."""
    return link_base(request) + reversed_path.removeprefix(get_script_prefix()).lstrip("/")
