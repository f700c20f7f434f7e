"""The listing's serialization path, before and after, side by side in one run.

    make bench-serialization     # or: bin/with-stack .venv/bin/python -m loadtests.bench_serialization

For a 50-product page: DRF's ModelSerializer over model instances against the plain dicts the
selectors build, each rendered by DRF's JSONRenderer and by the orjson renderer; then whole
requests through the view layer (RequestFactory, no network): a ListAPIView with the
ModelSerializer against the real listing view. Medians of interleaved runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "catalog_service.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from rest_framework import generics  # noqa: E402
from rest_framework.renderers import JSONRenderer  # noqa: E402

from catalog.api.params import parse_listing_query  # noqa: E402
from catalog.api.views import CategoryProductsView  # noqa: E402
from catalog.models import Product  # noqa: E402
from catalog.selectors import product_listing  # noqa: E402
from catalog.serializers import ProductSerializer  # noqa: E402
from catalog_service.api.renderers import ORJSONRenderer  # noqa: E402
from loadtests.bench_documents import create_category  # noqa: E402

PAGE = 50


class ModelSerializerListing(generics.ListAPIView):
    """The textbook DRF listing: ORM queryset, ModelSerializer, DRF's JSON renderer."""

    serializer_class = ProductSerializer
    renderer_classes = [JSONRenderer]
    pagination_class = None

    def get_queryset(self):  # noqa: ANN201
        return Product.objects.filter(category__slug=self.kwargs["slug"], is_published=True).order_by(
            "-created_at", "-id"
        )[:PAGE]


def median_ms(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    category = create_category(PAGE * 2)
    try:
        instances = list(Product.objects.filter(category=category).order_by("-created_at", "-id")[:PAGE])
        query = parse_listing_query({"page_size": str(PAGE)})
        dicts = product_listing(slug=category.slug, query=query, url_for=lambda pk: f"/p/{pk}/").items
        json_renderer, orjson_renderer = JSONRenderer(), ORJSONRenderer()

        rows = [
            (
                "ModelSerializer + JSONRenderer",
                lambda: json_renderer.render(ProductSerializer(instances, many=True).data),
            ),
            (
                "ModelSerializer + orjson",
                lambda: orjson_renderer.render(ProductSerializer(instances, many=True).data),
            ),
            ("plain dicts + JSONRenderer", lambda: json_renderer.render(dicts)),
            ("plain dicts + orjson (ours)", lambda: orjson_renderer.render(dicts)),
        ]
        factory = RequestFactory()
        baseline_view = ModelSerializerListing.as_view()
        our_view = CategoryProductsView.as_view()
        path = f"/api/v1/categories/{category.slug}/products/"

        def baseline_request() -> None:
            response = baseline_view(factory.get(path), slug=category.slug)
            response.render()
            assert response.status_code == 200

        def our_request() -> None:
            response = our_view(factory.get(path, {"page_size": PAGE}), slug=category.slug)
            response.render()
            assert response.status_code == 200

        requests = [("request: ORM + ModelSerializer + JSONRenderer", baseline_request),
                    ("request: selectors + orjson (ours)", our_request)]  # fmt: skip
        for _, fn in rows + requests:  # warm up
            fn()
        results = {name: [] for name, _ in rows + requests}
        for _ in range(5):  # interleave rounds so machine noise hits every variant alike
            for name, fn in rows + requests:
                results[name].append(median_ms(fn, args.repeats // 5 or 1))
        print(f"{PAGE}-product page; median ms per call (lower is better); speed-up against the first row")
        for group in (rows, requests):
            first = statistics.median(results[group[0][0]])
            print()
            print("| path | ms | speed-up |")
            print("|---|---:|---:|")
            for name, _ in group:
                ms = statistics.median(results[name])
                print(f"| {name} | {ms:.3f} | {first / ms:.1f}x |")
    finally:
        Product.objects.filter(category=category).delete()
        category.delete()


if __name__ == "__main__":
    main()
