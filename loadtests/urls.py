"""The service's URLs plus the baselines under /bench/ (benchmark runs only)."""

from django.urls import include, path

from catalog_service.urls import urlpatterns as service_urlpatterns

urlpatterns = [*service_urlpatterns, path("bench/", include("loadtests.baselines.urls"))]
