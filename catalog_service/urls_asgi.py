"""The URL configuration of ASGI requests: the service's URLs, with the async listing, product
detail and liveness probe in place of the sync views (``catalog_service.asgi_routing``)."""

from django.urls import path

from catalog import urls_asgi as catalog_urls_asgi
from catalog_service.health import views as health
from catalog_service.urls import API_V1, api_v1, handler400, handler403, handler404, handler500
from catalog_service.urls import urlpatterns as wsgi_urlpatterns
from categories import urls as categories_urls

ASYNC_VIEWS = {"healthz": health.ahealthz}

urlpatterns = [
    api_v1(categories_urls.urlpatterns, catalog_urls_asgi.urlpatterns),
    *(
        path(str(pattern.pattern), ASYNC_VIEWS[pattern.name], name=pattern.name)
        if getattr(pattern, "name", None) in ASYNC_VIEWS
        else pattern
        for pattern in wsgi_urlpatterns
        if str(pattern.pattern) != API_V1
    ),
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
