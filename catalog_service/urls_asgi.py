"""The URL configuration of ASGI requests: the service's URLs, with the async listing and
product detail in place of the DRF views (``catalog_service.asgi_routing``)."""

from django.urls import include, path

from catalog_service.urls import handler404
from catalog_service.urls import urlpatterns as wsgi_urlpatterns

urlpatterns = [
    path("api/v1/", include("catalog_service.api.urls_asgi")),
    *(pattern for pattern in wsgi_urlpatterns if str(pattern.pattern) != "api/v1/"),
]

__all__ = ["handler404", "urlpatterns"]
