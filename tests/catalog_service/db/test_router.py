"""The router on the real primary and replicas: where reads and writes go, and why."""

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.db import connections, router, transaction

from catalog.models import Product
from catalog_service.db import state
from catalog_service.db.config import PRIMARY_ALIAS
from catalog_service.db.state import use_primary, use_replica
from categories.models import Category
from tests.catalog_service.db.conftest import queries_by_alias
from tests.conftest import wait_for_replicas
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db(transaction=True)
REPLICAS = {"replica1", "replica2"}


def fresh_read_alias():
    with state.scope():
        return router.db_for_read(Category)


def test_reads_go_to_the_replicas_spread_across_them_and_writes_to_the_primary():
    assert router.db_for_write(Category) == PRIMARY_ALIAS
    chosen = {fresh_read_alias() for _ in range(40)}
    assert chosen == REPLICAS
    with state.scope():
        with queries_by_alias() as queries:
            list(Category.objects.all())
            list(Category.objects.all())
        assert len(queries) == 1 and set(queries) <= REPLICAS  # one unit of work, one replica
        with connections[next(iter(queries))].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery()")
            assert cursor.fetchone() == (True,)


def test_a_unit_of_work_that_wrote_reads_its_writes_from_the_primary():
    with state.scope():
        category = CategoryFactory()
        with queries_by_alias() as queries:
            assert Category.objects.get(pk=category.pk).name == category.name
        assert set(queries) == {PRIMARY_ALIAS}
    with state.scope():  # the next unit of work reads replicas again
        wait_for_replicas()
        assert fresh_read_alias() in REPLICAS


def test_reads_inside_atomic_go_to_the_primary():
    with state.scope():
        with transaction.atomic():
            assert router.db_for_read(Product) == PRIMARY_ALIAS
        assert router.db_for_read(Product) in REPLICAS


def test_use_primary_and_use_replica_as_context_managers_and_decorators():
    @use_primary()
    def on_primary():
        return router.db_for_read(Product)

    @use_replica()
    def on_replica():
        return router.db_for_read(Product)

    with state.scope():
        with use_primary():
            assert router.db_for_read(Product) == PRIMARY_ALIAS
            with use_replica():
                assert router.db_for_read(Product) in REPLICAS
            assert router.db_for_read(Product) == PRIMARY_ALIAS
        assert on_primary() == PRIMARY_ALIAS
        state.current().wrote = True
        assert router.db_for_read(Product) == PRIMARY_ALIAS
        assert on_replica() in REPLICAS  # an explicit choice wins over read-your-writes

    @use_primary()
    async def async_on_primary():
        await asyncio.sleep(0)
        return await sync_to_async(router.db_for_read)(Product)

    with state.scope():
        assert asyncio.run(async_on_primary()) == PRIMARY_ALIAS


def test_routing_state_is_per_thread_and_per_task():
    results = {}
    wrote = threading.Event()

    def writer():
        with state.scope():
            state.current().wrote = True
            wrote.set()
            results["writer"] = router.db_for_read(Product)

    with state.scope():
        thread = threading.Thread(target=writer)
        thread.start()
        thread.join()
        assert wrote.is_set() and results["writer"] == PRIMARY_ALIAS
        assert router.db_for_read(Product) in REPLICAS  # another thread's write is not ours

    async def request(name, writes):
        with state.scope():
            if writes:
                await sync_to_async(lambda: state.current().__setattr__("wrote", True))()
            await asyncio.sleep(0.01)  # interleave with the other task
            results[name] = await sync_to_async(router.db_for_read)(Product)

    async def both():
        await asyncio.gather(request("a", True), request("b", False))

    asyncio.run(both())
    assert results["a"] == PRIMARY_ALIAS  # a write made in a thread is seen after the await
    assert results["b"] in REPLICAS


def test_migrations_only_run_on_the_primary():
    assert router.allow_migrate(PRIMARY_ALIAS, "catalog", model_name="product") is True
    assert router.allow_migrate("replica1", "catalog", model_name="product") is False
