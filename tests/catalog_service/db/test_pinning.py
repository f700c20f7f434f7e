"""Read-your-writes across requests: the signed pinning cookie, and the primary-read guard."""

import logging

import pytest
from django.db import connections, transaction
from django.test import Client
from django.urls import reverse

from catalog_service.db import state
from catalog_service.db.config import PRIMARY_ALIAS
from catalog_service.db.failover import PrimaryReadOnSafeRequest
from catalog_service.db.middleware import PIN_COOKIE
from categories.models import Category
from tests.catalog_service.db.conftest import queries_by_alias

pytestmark = pytest.mark.django_db(transaction=True)
CHANGELIST = "/admin/categories/category/"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.com", "secret-pw-1")


def login(client):
    return client.post(reverse("admin:login"), {"username": "editor", "password": "secret-pw-1",
                                                "next": CHANGELIST})  # fmt: skip


def test_an_unsafe_request_pins_the_client_to_the_primary(client, staff):
    response = login(client)
    assert response.status_code == 302
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and not cookie["secure"]
    assert int(cookie["max-age"]) == 15
    with queries_by_alias() as queries:
        assert client.get(CHANGELIST).status_code == 200
    assert set(queries) == {PRIMARY_ALIAS}


def test_an_unpinned_client_reads_from_a_replica(client, staff):
    login(client)
    client.cookies.pop(PIN_COOKIE)
    with queries_by_alias() as queries:
        assert client.get(CHANGELIST).status_code == 200
    assert PRIMARY_ALIAS not in queries and len(queries) == 1


def test_the_pin_is_secure_over_https_and_refused_when_forged_or_expired(client, staff, settings):
    response = client.post(reverse("admin:login"), {"username": "editor", "password": "secret-pw-1"},
                           secure=True)  # fmt: skip
    assert response.cookies[PIN_COOKIE]["secure"]

    client.cookies[PIN_COOKIE] = "1:forged"
    client.force_login(staff)
    with queries_by_alias() as queries:
        client.get(CHANGELIST)
    assert PRIMARY_ALIAS not in queries

    login(client)
    assert client.cookies[PIN_COOKIE].value
    settings.PINNING_SECONDS = 0  # the pin just set is already too old
    with queries_by_alias() as queries:
        client.get(CHANGELIST)
    assert PRIMARY_ALIAS not in queries


def select_on_primary(sql):
    with connections[PRIMARY_ALIAS].cursor() as cursor:
        cursor.execute(sql)


def safe_request():
    return state.scope(state.RoutingState(in_request=True, safe_request=True))


def test_the_guard_reports_primary_reads_in_safe_unpinned_requests(settings, caplog):
    with safe_request(), pytest.raises(PrimaryReadOnSafeRequest):
        select_on_primary("SELECT 1")

    settings.DATABASE_PRIMARY_READ_GUARD = "warn"
    with caplog.at_level(logging.WARNING, "catalog_service.db.routing"), safe_request():
        select_on_primary("SELECT 2")
    assert "read on the primary during a safe, unpinned request: SELECT 2" in caplog.text

    caplog.clear()
    for sanctioned in (
        state.RoutingState(in_request=True, safe_request=True, pinned=True),
        state.RoutingState(in_request=True, safe_request=True, fell_back=True),
        state.RoutingState(in_request=True, safe_request=False),
        state.RoutingState(),  # not a request: commands, the shell
    ):
        with state.scope(sanctioned):
            select_on_primary("SELECT 3")
    with safe_request(), state.use_primary():
        select_on_primary("SELECT 4")
    assert caplog.text == ""


def test_anonymous_unsafe_requests_never_get_a_pin(client):
    assert PIN_COOKIE not in client.post("/api/v1/categories/").cookies  # a 405 that wrote nothing
    # A failed login writes (axes records the attempt) but authenticates no one.
    failed = client.post(reverse("admin:login"), {"username": "editor", "password": "wrong"})
    assert failed.status_code == 200
    assert PIN_COOKIE not in failed.cookies


def test_a_pin_is_bound_to_its_session(client, staff, django_user_model):
    pin = login(client).cookies[PIN_COOKIE].value
    replayed = Client()
    replayed.cookies[PIN_COOKIE] = pin  # without the session it was made for
    with queries_by_alias() as queries:
        replayed.get("/api/v1/categories/")
    assert PRIMARY_ALIAS not in queries
    other = django_user_model.objects.create_superuser("other", "other@example.com", "secret-pw-2")
    replayed.force_login(other)  # another session, same pin
    replayed.cookies[PIN_COOKIE] = pin
    with queries_by_alias() as queries:
        replayed.get(CHANGELIST)
    assert PRIMARY_ALIAS not in queries


def test_only_a_committed_write_counts():
    with state.scope(state.RoutingState(in_request=True)) as current:
        with pytest.raises(RuntimeError), transaction.atomic():
            Category.objects.create(name="Rolled back", slug="rolled-back")
            raise RuntimeError("roll it back")
        assert current.wrote and not current.committed_write
        with transaction.atomic():
            Category.objects.create(name="Kept", slug="kept")
            assert not current.committed_write  # not yet: the block has not committed
        assert current.committed_write
