"""The product endpoints; ``catalog_service.urls`` mounts them in the public API (``api:``).

The listing's URL points at ``serve_listing_hits``, which answers fresh cache hits before DRF
and hands every other request to the DRF view."""

from django.urls import path

from catalog.api.cache_hits import serve_listing_hits
from catalog.api.views import CategoryProductsView, ProductDetailView

urlpatterns = [
    path(
        "categories/<slug:slug>/products/",
        serve_listing_hits(CategoryProductsView.as_view()),
        name="category-products",
    ),
    path("products/<int:pk>/", ProductDetailView.as_view(), name="product-detail"),
]
