"""The benchmark's WSGI application: the service's, with the ceiling answered before Django.

The ceiling is what gunicorn and the load generator manage on this machine with no
application work at all: a constant 50-item JSON page from a bare WSGI callable. Against it the
report checks that the generator, not the server, set the pace: it must serve well above the
cached listing (``ceiling ÷ ours cached``). Django's own floor, middleware and all, is the
``healthz`` variant.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "loadtests.settings")

# After the settings module is named; the views' module needs Django set up, which this does.
from catalog_service.wsgi import application as service
from loadtests.baselines.views import CEILING_ITEMS, constant_body

CEILING_PREFIX = "/bench/ceiling/"
CEILING_BODY = constant_body(CEILING_ITEMS)
CEILING_HEADERS = [("Content-Type", "application/json"), ("Content-Length", str(len(CEILING_BODY)))]


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO", "").startswith(CEILING_PREFIX):
        start_response("200 OK", CEILING_HEADERS)
        return [CEILING_BODY]
    return service(environ, start_response)
