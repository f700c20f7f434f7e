"""The ASGI service's URLs plus the baselines under /bench/ (benchmark runs only), the
uncached listing async as the service's own listing is under ASGI."""

from django.urls import include, path

from catalog_service.urls_asgi import handler400, handler403, handler404, handler500
from catalog_service.urls_asgi import urlpatterns as service_urlpatterns

urlpatterns = [*service_urlpatterns, path("bench/", include("loadtests.baselines.urls_asgi"))]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
