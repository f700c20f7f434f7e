"""MongoDB faults: stopped during Admin saves, and accepting connections without ever answering."""

import json
import threading
import urllib.error
import urllib.request
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse

from catalog.models import Product
from catalog_service.documents.models import OutboxRecord
from tests.conftest import stack, wait_for
from tests.factories import CategoryFactory, make_products
from tests.faults.conftest import timed

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]


def admin_form(product, **changes):
    return {
        "sku": product.sku, "category": product.category_id, "is_published": "on", "description": "",
        "name": product.name, "price": str(product.price), "attributes": "{}", "images": "[]", **changes,
    }  # fmt: skip


@pytest.mark.stack
def test_admin_saves_while_mongodb_is_stopped_succeed_and_drain_after_it_restarts(
    client, django_user_model, products_collection, stack_component
):
    products = make_products(3)
    client.force_login(django_user_model.objects.create_superuser("ed", "ed@example.com", "pw"))
    stack_component("mongo")
    for i, product in enumerate(products):
        url = reverse("admin:catalog_product_change", args=[product.pk])
        response = client.post(url, admin_form(product, name=f"Saved during the outage {i}", price="7.25"))
        assert response.status_code == 302, response.content.decode()[:2000]
    added = client.post(
        reverse("admin:catalog_product_add"), admin_form(products[0], sku="ADDED-IN-OUTAGE", name="Added")
    )
    assert added.status_code == 302, added.content.decode()[:2000]
    pending = OutboxRecord.objects.filter(applied_at__isnull=True)
    assert pending.count() == 4  # every change is kept in the outbox, none reached MongoDB
    assert Product.objects.filter(sku="ADDED-IN-OUTAGE").exists()

    stack("start", "mongo")

    def drained():  # the relay as it runs in production, retrying with its backoff
        call_command("relay_outbox", "--once", stdout=StringIO())
        return not pending.exists()

    wait_for(drained, timeout=30, interval=0.2)
    docs = {d["_id"]: d for d in products_collection.find()}
    assert [docs[p.pk]["name"] for p in products] == [f"Saved during the outage {i}" for i in range(3)]
    assert {str(docs[p.pk]["price"]) for p in products} == {"7.25"}
    assert docs[Product.objects.get(sku="ADDED-IN-OUTAGE").pk]["name"] == "Added"
    out = StringIO()
    call_command("reconcile_documents", "--check", stdout=out)  # exits with status 1 on drift
    assert "drift: 0" in out.getvalue()


def _get(url: str, timeout: float = 30) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_a_mongodb_that_never_answers_is_a_503_within_the_timeout_and_workers_survive(
    products_collection, gunicorn, black_hole
):
    category = CategoryFactory(slug="hole")
    product = make_products(3, category=category)[0]
    server = gunicorn(MONGODB_URL=f"mongodb://127.0.0.1:{black_hole.port}/?directConnection=true")
    workers = server.workers()
    # pymongo's configured bounds: server selection, then the whole operation (timeoutMS).
    bound = max(settings.MONGODB["SERVER_SELECTION_TIMEOUT_MS"], settings.MONGODB["OPERATION_TIMEOUT_MS"])
    bound = bound / 1000 + 2.0  # plus the request's own work, generously

    for path in (f"/api/v1/categories/{category.slug}/products/", f"/api/v1/products/{product.pk}/"):
        (status, headers, body), elapsed = timed(_get, server.url + path)
        assert status == 503, (path, status, body[:500])
        assert headers["Retry-After"] == "5"
        assert "MongoDB" in json.loads(body)["detail"]
        assert elapsed < bound, (path, elapsed)
    assert black_hole.accepted  # the service did reach the hung server

    results = []  # both workers stuck in MongoDB at once
    detail = f"{server.url}/api/v1/products/{product.pk}/"
    threads = [threading.Thread(target=lambda: results.append(timed(_get, detail))) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert [status for (status, _, _), _ in results] == [503, 503]
    assert max(elapsed for _, elapsed in results) < 2 * bound

    status, _, body = _get(f"{server.url}/readyz")
    assert status == 503 and json.loads(body) == {"status": "unavailable"}
    assert _get(f"{server.url}/api/v1/categories/")[0] == 200  # SQL-only pages still answer
    assert _get(f"{server.url}/healthz")[0] == 200
    assert server.process.poll() is None
    assert server.workers() == workers  # no worker was killed for a timeout or crashed
