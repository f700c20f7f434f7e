"""Each app has its URL conf; the service mounts them under /api/v1/ in the ``api`` namespace,
with the same paths and names on both interfaces and the async views only under ASGI."""

import pytest
from django.conf import settings
from django.urls import resolve, reverse

from catalog.api import aio_views

ENDPOINTS = [
    ("api:category-tree", {}, "/api/v1/categories/"),
    ("api:category-detail", {"slug": "home"}, "/api/v1/categories/home/"),
    ("api:category-products", {"slug": "home"}, "/api/v1/categories/home/products/"),
    ("api:category-facets", {"slug": "home"}, "/api/v1/categories/home/facets/"),
    ("api:product-detail", {"pk": 7}, "/api/v1/products/7/"),
]


@pytest.mark.parametrize("urlconf", [settings.ROOT_URLCONF, settings.ASGI_URLCONF])
@pytest.mark.parametrize(("name", "kwargs", "url"), ENDPOINTS)
def test_every_endpoint_keeps_its_name_and_path_on_both_interfaces(urlconf, name, kwargs, url):
    assert reverse(name, kwargs=kwargs, urlconf=urlconf) == url
    assert resolve(url, urlconf=urlconf).view_name == name


@pytest.mark.parametrize(
    ("url", "view"),
    [
        ("/api/v1/categories/home/products/", aio_views.category_products),
        ("/api/v1/categories/home/facets/", aio_views.category_facets),
        ("/api/v1/products/7/", aio_views.product_detail),
    ],
)
def test_the_asgi_conf_routes_the_listing_and_the_detail_to_the_aio_views(url, view):
    assert resolve(url, urlconf=settings.ASGI_URLCONF).func is view
    assert resolve(url, urlconf=settings.ROOT_URLCONF).func is not view
