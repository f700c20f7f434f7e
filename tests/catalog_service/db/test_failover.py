"""Failover on the real stack: hung connects, sessions killed mid-read (replicas stopped under
load: tests/faults/test_replicas.py)."""

import socket
import threading
import time

import psycopg
import pytest
from django.db import connections

from catalog_service.db import state
from catalog_service.db.failover import WRITE_KEYWORDS, first_keyword
from catalog_service.db.health import replica_health
from catalog_service.db.router import read_alias
from tests.catalog_service.db.conftest import server_port
from tests.conftest import wait_for, wait_for_replicas

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.faults]


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
    assert first_keyword(sql) == keyword
    assert (keyword in WRITE_KEYWORDS) == (keyword != "SELECT")
