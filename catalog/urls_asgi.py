"""The product endpoints for ASGI requests: ``catalog.urls``' paths and names, with the async
listing, facets and product detail (``catalog.api.aio_views``) in place of the DRF views."""

from django.urls import path

from catalog.api import aio_views
from catalog.urls import urlpatterns as wsgi_urlpatterns

AIO_VIEWS = {
    "category-products": aio_views.category_products,
    "category-facets": aio_views.category_facets,
    "product-detail": aio_views.product_detail,
}

urlpatterns = [
    path(str(pattern.pattern), AIO_VIEWS[pattern.name], name=pattern.name)
    if pattern.name in AIO_VIEWS
    else pattern
    for pattern in wsgi_urlpatterns
]
