from django.urls import path

from loadtests.baselines import views
from loadtests.baselines.urls import urlpatterns as wsgi_urlpatterns

# The baselines with an async version take it under ASGI (no thread hop); the rest stay sync.
ASYNC_VIEWS = {"bench-ours-uncached": views.ours_uncached_async, "bench-limit": views.limit_async}

urlpatterns = [
    path(str(p.pattern), ASYNC_VIEWS[p.name], name=p.name) if p.name in ASYNC_VIEWS else p
    for p in wsgi_urlpatterns
]
