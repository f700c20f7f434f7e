from django.urls import path

from loadtests.baselines import views

urlpatterns = [
    path("ceiling/<slug:slug>/products/", views.ceiling, name="bench-ceiling"),
    path("constant/<slug:slug>/products/", views.constant, name="bench-constant"),
    path("limit/<slug:slug>/products/", views.limit, name="bench-limit"),
    path("naive/<slug:slug>/products/", views.naive, name="bench-naive"),
    path("seed-style/<slug:slug>/products/", views.seed_style, name="bench-seed-style"),
    path("ours-uncached/<slug:slug>/products/", views.ours_uncached, name="bench-ours-uncached"),
]
