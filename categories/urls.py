"""The category endpoints; ``catalog_service.urls`` mounts them in the public API (``api:``)."""

from django.urls import path

from categories.api import CategoryDetailView, CategoryTreeView

urlpatterns = [
    path("categories/", CategoryTreeView.as_view(), name="category-tree"),
    path("categories/<slug:slug>/", CategoryDetailView.as_view(), name="category-detail"),
]
