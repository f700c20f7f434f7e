"""The public API, version 1."""

from django.urls import path

from catalog.api.cache_hits import serve_listing_hits
from catalog.api.views import CategoryProductsView, ProductDetailView
from categories.api import CategoryDetailView, CategoryTreeView

app_name = "api"

urlpatterns = [
    path("categories/", CategoryTreeView.as_view(), name="category-tree"),
    path("categories/<slug:slug>/", CategoryDetailView.as_view(), name="category-detail"),
    path(
        "categories/<slug:slug>/products/",
        serve_listing_hits(CategoryProductsView.as_view()),
        name="category-products",
    ),
    path("products/<int:pk>/", ProductDetailView.as_view(), name="product-detail"),
]
