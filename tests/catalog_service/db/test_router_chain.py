"""The router returns None where it has no opinion, so a router listed after it is consulted.

Its opinion covers the primary, the replicas and the aliases DATABASE_ROUTES names; an extra
database that nothing routes to (here ``archive``) belongs to the router after it.
"""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.db import router
from django.utils import timezone

from catalog.models import Product
from catalog_service.db import state
from catalog_service.db.config import PRIMARY_ALIAS
from catalog_service.db.router import PrimaryReplicaRouter
from categories.models import Category
from tests.catalog_service.db.conftest import extra_database, tables
from tests.conftest import wait_for_replicas
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db(transaction=True)
ALIAS = "archive"
REPLICAS = {"replica1", "replica2"}


class ArchiveRouter:
    """Keeps Django's sessions (only them) in the archive database; notes what it is asked."""

    def __init__(self):
        self.asked = []

    def db_for_read(self, model, **hints):
        self.asked.append(("read", model._meta.label))
        return ALIAS

    def db_for_write(self, model, **hints):
        self.asked.append(("write", model._meta.label))
        return ALIAS

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        self.asked.append(("migrate", db, app_label))
        return db == ALIAS and app_label == "sessions"


@pytest.fixture
def archive(settings):
    later = ArchiveRouter()
    with extra_database(ALIAS):
        settings.DATABASE_ROUTERS = [PrimaryReplicaRouter(), later]
        call_command("migrate", database=ALIAS, verbosity=0)
        yield later


def archived_session(key):
    Session.objects.using(ALIAS).create(
        session_key=key, session_data="{}", expire_date=timezone.now() + datetime.timedelta(days=1)
    )
    return Session.objects.using(ALIAS).get(pk=key)


def test_migrations_on_a_database_it_does_not_manage_are_the_next_routers(archive):
    assert ("migrate", ALIAS, "sessions") in archive.asked
    assert tables(ALIAS) == {"django_session", "django_migrations"}  # what the later router allowed
    archive.asked.clear()
    assert router.allow_migrate(PRIMARY_ALIAS, "sessions", model_name="session") is True
    assert router.allow_migrate("replica1", "catalog", model_name="product") is False
    assert archive.asked == []  # the primary and the replicas are the first router's


def test_an_object_from_a_database_it_does_not_manage_is_the_next_routers(archive):
    session = archived_session("archived")
    archive.asked.clear()
    session.session_data = "{'changed': true}"
    session.save()
    assert ("write", "sessions.Session") in archive.asked
    assert Session.objects.using(ALIAS).get(pk="archived").session_data == "{'changed': true}"
    assert not Session.objects.using(PRIMARY_ALIAS).filter(pk="archived").exists()
    assert router.db_for_read(Session, instance=session) == ALIAS
    assert ("read", "sessions.Session") in archive.asked


def test_without_a_next_router_the_object_stays_where_it_came_from(archive, settings):
    settings.DATABASE_ROUTERS = [PrimaryReplicaRouter()]
    session = archived_session("kept")
    assert router.db_for_write(Session, instance=session) == ALIAS  # Django's fallback
    assert router.db_for_write(Session) == PRIMARY_ALIAS


def test_the_primary_and_replicas_stay_the_first_routers(archive):
    category = CategoryFactory()
    wait_for_replicas()
    from_replica = Category.objects.using("replica1").get(pk=category.pk)
    archive.asked.clear()
    with state.scope():
        assert router.db_for_write(Category, instance=from_replica) == PRIMARY_ALIAS
        assert router.db_for_read(Product, instance=from_replica) in REPLICAS
        assert router.db_for_read(Session) in REPLICAS
        assert router.db_for_write(Session) == PRIMARY_ALIAS
        assert router.allow_relation(from_replica, Category.objects.get(pk=category.pk)) is True
    assert archive.asked == []
