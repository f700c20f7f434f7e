"""Per-model routing (DATABASE_ROUTES) with a real second database on the primary's server."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import router

from catalog.models import Product
from catalog_service.db.checks import check_database_routes
from catalog_service.db.config import PRIMARY_ALIAS
from tests.catalog_service.db.conftest import extra_database, tables

pytestmark = pytest.mark.django_db(transaction=True)
ALIAS = "sessions_db"


@pytest.fixture
def second_database(settings):
    with extra_database(ALIAS) as db:
        settings.DATABASE_ROUTES = {"sessions": ALIAS}
        yield db


def test_a_routed_app_lives_in_its_database_for_reads_writes_and_migrations(second_database):
    call_command("migrate", database=ALIAS, verbosity=0)
    assert tables(ALIAS) == {"django_session", "django_migrations"}  # only what the map sends there
    assert router.allow_migrate(PRIMARY_ALIAS, "sessions", model_name="session") is False
    assert router.allow_migrate(PRIMARY_ALIAS, "catalog", model_name="product") is True

    assert router.db_for_write(Session) == ALIAS
    assert router.db_for_read(Session) == ALIAS  # not a replica of the primary
    assert router.db_for_read(Product) != ALIAS

    store = SessionStore()
    store["cart"] = [1, 2]
    store.create()
    assert Session.objects.using(ALIAS).filter(session_key=store.session_key).exists()
    assert not Session.objects.using(PRIMARY_ALIAS).filter(session_key=store.session_key).exists()
    assert SessionStore(session_key=store.session_key).load() == {"cart": [1, 2]}


def test_routes_to_unknown_databases_or_models_fail_the_system_check(settings):
    settings.DATABASE_ROUTES = {"sessions": "nowhere", "catalog.Nope": PRIMARY_ALIAS, "auth": "replica1"}
    ids = sorted(error.id for error in check_database_routes())
    assert ids == ["catalog_service.E001", "catalog_service.E002", "catalog_service.E003"]
