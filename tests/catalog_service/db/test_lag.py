"""Replay lag on the real stack: lagging replicas are left out; writers still read their writes."""

import contextlib

import psycopg
import pytest
from django.db import connections, router
from django.test import Client
from django.urls import reverse

from catalog.models import Product
from catalog_service.db import state
from catalog_service.db.health import replica_health
from categories.models import Category
from tests.conftest import HEALTH_HEADERS, wait_for, wait_for_replicas
from tests.factories import CategoryFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.stack]


@contextlib.contextmanager
def replay_paused(*aliases):
    """Pause WAL replay on these replicas for the block (they keep receiving WAL)."""
    conns = []
    for alias in aliases:
        db = connections[alias].settings_dict
        conn = psycopg.connect(host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"],
                               autocommit=True)  # fmt: skip
        conn.execute("SELECT pg_wal_replay_pause()")
        conns.append(conn)
    try:
        yield
    finally:
        for conn in conns:
            conn.execute("SELECT pg_wal_replay_resume()")
            conn.close()
        wait_for_replicas()


def test_a_replica_lagging_past_the_threshold_is_left_out_until_it_catches_up(client, settings):
    settings.MAX_REPLICA_LAG_SECONDS = 1
    with replay_paused("replica1"):
        CategoryFactory()  # WAL the paused replica receives but does not replay
        wait_for(lambda: (replica_health.lag("replica1") or 0) > 1, timeout=20, interval=0.2)
        chosen = set()
        for _ in range(30):
            with state.scope():
                chosen.add(router.db_for_read(Category))
        assert chosen == {"replica2"}
        body = client.get("/readyz", headers=HEALTH_HEADERS).json()
        assert body["checks"]["replica1"]["status"] == "lagging"
        assert body["checks"]["replica1"]["lag_seconds"] > 1
        assert body["lagging"] == ["replica1"] and body["status"] == "degraded"
    wait_for(lambda: replica_health.lag("replica1") == 0, timeout=20, interval=0.2)
    assert replica_health.usable("replica1")


def test_admin_add_and_change_while_replay_is_paused_show_the_new_values(
    client, django_user_model, products_collection
):
    staff = django_user_model.objects.create_superuser("editor", "e@example.com", "pw-123456")
    category = CategoryFactory(name="Kitchen")
    bystander = Client()  # another staff member, not pinned
    bystander.force_login(staff)
    wait_for_replicas()

    with replay_paused("replica1", "replica2"):
        assert (
            client.post(reverse("admin:login"), {"username": "editor", "password": "pw-123456"}).status_code
            == 302
        )
        form = {"sku": "PAUSED-1", "category": category.pk, "is_published": "on", "name": "Copper kettle",
                "description": "", "price": "30.00", "attributes": "{}", "images": "[]"}  # fmt: skip
        response = client.post(reverse("admin:catalog_product_add"), form, follow=True)
        assert response.status_code == 200
        assert "Copper kettle" in response.content.decode()  # the changelist after the redirect
        product = Product.objects.get(sku="PAUSED-1")

        change = reverse("admin:catalog_product_change", args=[product.pk])
        response = client.post(change, {**form, "name": "Brass kettle", "price": "35.50"}, follow=True)
        body = response.content.decode()
        assert response.status_code == 200 and "Brass kettle" in body and "35.50" in body
        assert 'value="Brass kettle"' in client.get(change).content.decode()

        # Replicas have not replayed the add: a client that did not write does not see it yet.
        stale = bystander.get(reverse("admin:catalog_product_changelist")).content.decode()
        assert "PAUSED-1" not in stale
    assert "PAUSED-1" in bystander.get(reverse("admin:catalog_product_changelist")).content.decode()
