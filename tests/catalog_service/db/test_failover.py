"""Failover on the real stack: replicas stopped under load, hung connects, sessions killed mid-read."""

import logging
import socket
import threading
import time
from collections import Counter

import psycopg
import pytest
from django.db import connections
from django.test import Client

from catalog_service.db import state
from catalog_service.db.config import PRIMARY_ALIAS
from catalog_service.db.health import replica_health
from catalog_service.db.router import read_alias
from tests.catalog_service.db.conftest import queries_by_alias, server_port
from tests.conftest import wait_for, wait_for_replicas
from tests.factories import CategoryFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.stack]
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


def test_a_replica_that_hangs_on_connect_is_skipped_within_the_connect_timeout():
    hole = socket.socket()
    hole.bind(("127.0.0.1", 0))
    hole.listen(16)  # the kernel accepts connections; nothing ever answers them
    replica = connections["replica2"]
    original_port = replica.settings_dict["PORT"]
    replica.close()
    replica.settings_dict["PORT"] = str(hole.getsockname()[1])
    try:
        with state.scope(state.RoutingState()):
            state.current().replica = None
            chosen = set()
            start = time.monotonic()
            for _ in range(10):
                state.current().replica = None  # choose afresh each time
                chosen.add(read_alias())
            elapsed = time.monotonic() - start
        assert chosen == {"replica1"}
        assert replica_health.is_down("replica2")
        assert elapsed < 4  # one connect timeout (2 s), then the mark spares the others
    finally:
        replica.close()
        replica.settings_dict["PORT"] = original_port
        hole.close()


def test_a_read_whose_session_dies_mid_statement_is_retried_on_another_host(replica_ports):
    wait_for_replicas()
    result = {}
    with state.scope():
        alias = read_alias()
        victim_port = replica_ports[alias]
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]

        def killer():
            db = connections[alias].settings_dict
            with psycopg.connect(host=db["HOST"], port=db["PORT"], dbname=db["NAME"], user=db["USER"],
                                 autocommit=True) as conn:  # fmt: skip

                def running():
                    row = conn.execute("SELECT state FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
                    return row and row[0] == "active"

                wait_for(running)  # the slow read below has started
                conn.execute("SELECT pg_terminate_backend(%s)", [pid])

        thread = threading.Thread(target=killer)
        thread.start()
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT inet_server_port(), pg_sleep(2)")
            result["port"] = cursor.fetchone()[0]
        thread.join()
    assert result["port"] != victim_port  # answered by another host
    assert replica_health.is_down(alias)
    with state.scope():
        assert server_port(read_alias()) != victim_port


@pytest.mark.parametrize(
    ("sql", "keyword"),
    [
        ("WITH RECURSIVE subtree(id) AS (SELECT 1) SELECT * FROM subtree", "SELECT"),
        ("with moved as (update t set a = 1 returning *) select * from moved", "WITH"),
        ("WITH gone AS (DELETE FROM t RETURNING id) SELECT count(*) FROM gone", "WITH"),
        ("  (SELECT 1)", "SELECT"),
        ("INSERT INTO t VALUES (1)", "INSERT"),
    ],
)
def test_a_read_only_with_statement_is_a_read_and_a_data_modifying_one_a_write(sql, keyword):
    from catalog_service.db.failover import WRITE_KEYWORDS, _first_keyword

    assert _first_keyword(sql) == keyword
    assert (keyword in WRITE_KEYWORDS) == (keyword != "SELECT")
