from django.urls import path

from loadtests.baselines import views
from loadtests.baselines.urls import urlpatterns as wsgi_urlpatterns

urlpatterns = [
    path(str(p.pattern), views.ours_uncached_async, name=p.name) if p.name == "bench-ours-uncached" else p
    for p in wsgi_urlpatterns
]
