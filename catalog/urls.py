"""The product endpoints; ``catalog_service.urls`` mounts them in the public API (``api:``).

The listing's and the facets' URLs point at ``serve_listing_hits`` and ``serve_facet_hits``,
which answer fresh cache hits before DRF and hand every other request to the DRF view."""

from django.urls import path

from catalog.api.cache_hits import serve_facet_hits, serve_listing_hits
from catalog.api.views import CategoryFacetsView, CategoryProductsView, ProductDetailView

urlpatterns = [
    path(
        "categories/<slug:slug>/products/",
        serve_listing_hits(CategoryProductsView.as_view()),
        name="category-products",
    ),
    path(
        "categories/<slug:slug>/facets/",
        serve_facet_hits(CategoryFacetsView.as_view()),
        name="category-facets",
    ),
    path("products/<int:pk>/", ProductDetailView.as_view(), name="product-detail"),
]
