"""Replicas stopped while concurrent reads run: no request fails (moved from the routing tests)."""

import logging
import threading
from collections import Counter

import pytest
from django.db import connections
from django.test import Client

from catalog_service.db.config import PRIMARY_ALIAS
from tests.conftest import queries_by_alias, wait_for, wait_for_replicas
from tests.factories import CategoryFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.stack, pytest.mark.faults]
CHANGELIST = "/admin/categories/category/"


def test_stopping_replicas_while_requests_run_fails_no_request(
    django_user_model, stack_component, caplog, settings
):
    staff = django_user_model.objects.create_superuser("editor", "e@example.com", "pw")
    for _ in range(3):
        CategoryFactory()
    wait_for_replicas()
    done = threading.Event()
    statuses: Counter = Counter()
    failures: list[str] = []
    served_by: Counter = Counter()

    def shopper():
        client = Client()
        client.force_login(staff)  # a write; the requests below are unpinned
        wait_for_replicas()  # the new session row reaches the replicas the reads go to
        try:
            while not done.is_set():
                with queries_by_alias() as queries:
                    response = client.get(CHANGELIST)
                statuses[response.status_code] += 1
                served_by.update(queries.keys())
                if response.status_code != 200 or b"3 categories" not in response.content:
                    failures.append(f"{response.status_code}: {response.content[:300]!r}")
        except Exception:
            import traceback

            failures.append(traceback.format_exc())
        finally:
            connections.close_all()

    def requests_served():
        return sum(statuses.values())

    with caplog.at_level(logging.INFO, "catalog_service.db.routing"):
        threads = [threading.Thread(target=shopper) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            wait_for(lambda: requests_served() >= 20 or failures)
            assert failures == []
            stack_component("replica1")
            mark = requests_served()
            wait_for(lambda: requests_served() >= mark + 40)
            stack_component("replica2")
            mark = requests_served()
            served_by.clear()
            wait_for(lambda: requests_served() >= mark + 40)
        finally:
            done.set()
            for thread in threads:
                thread.join(30)
    assert failures == [], failures[0]
    assert set(statuses) == {200}
    assert PRIMARY_ALIAS in served_by  # with both replicas down, reads went to the primary
    downs = [r.getMessage() for r in caplog.records if " is down" in r.getMessage()]
    assert sum("replica1 is down" in m for m in downs) == 1  # once per change, not per request
    assert sum("replica2 is down" in m for m in downs) == 1
    assert any("none usable; reads go to the primary" in r.getMessage() for r in caplog.records)
