"""The public API, version 1, for ASGI requests: the listing and the product detail async."""

from django.urls import path

from catalog.api import aio_views
from catalog_service.api.urls import app_name
from catalog_service.api.urls import urlpatterns as wsgi_urlpatterns

ASYNC_VIEWS = {
    "category-products": aio_views.category_products,
    "product-detail": aio_views.product_detail,
}

urlpatterns = [
    path(str(pattern.pattern), ASYNC_VIEWS[pattern.name], name=pattern.name)
    if pattern.name in ASYNC_VIEWS
    else pattern
    for pattern in wsgi_urlpatterns
]

__all__ = ["app_name", "urlpatterns"]
