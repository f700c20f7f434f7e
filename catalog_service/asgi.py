"""The ASGI application: Django's, with the handler that keeps the API path free of thread
hops (``catalog_service.asgi_handler``)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog_service.settings")
django.setup(set_prefix=False)  # as django.core.asgi.get_asgi_application does

from catalog_service.asgi_handler import CatalogASGIHandler  # noqa: E402  (after setup: it reads settings)

application = CatalogASGIHandler()
