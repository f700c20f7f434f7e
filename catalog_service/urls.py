"""The service's URLs: health, the public API (each app's URL conf, under /api/v1/ and the
``api`` namespace), its schema and docs, and the admin."""

from collections.abc import Iterable

from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from catalog import urls as catalog_urls
from catalog_service.health import views as health
from categories import urls as categories_urls

API_V1 = "api/v1/"


def api_v1(*app_urlpatterns: Iterable[URLPattern]) -> URLResolver:
    """Mount the apps' endpoints, in the order given, under /api/v1/ as ``api:<name>``.

    One include for all of them: Django reverses a namespace through only one of the includes
    that share it, so each app's patterns cannot be included separately under ``api``."""
    return path(API_V1, include(([p for patterns in app_urlpatterns for p in patterns], "api")))


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    api_v1(categories_urls.urlpatterns, catalog_urls.urlpatterns),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view: Swagger UI's initialisation script is a URL, not inline (the CSP allows no
    # inline script).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path(settings.ADMIN_URL, admin.site.urls),
]

# Every error is JSON with a message (catalog_service.api.errors), Django's own included.
handler400 = "catalog_service.api.errors.bad_request"
handler403 = "catalog_service.api.errors.permission_denied"
handler404 = "catalog_service.api.errors.not_found"
handler500 = "catalog_service.api.errors.server_error"
