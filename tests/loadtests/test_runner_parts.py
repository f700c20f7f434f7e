"""The runner's smaller parts: its environment, the catalog size check, servers' ports, probes."""

import socket

import pytest

from loadtests.bench.catalog_size import parse as parse_catalog_size
from loadtests.bench.database import needs_seeding
from loadtests.bench.environment import bench_environment, with_database
from loadtests.bench.modes import MODES
from loadtests.bench.probes import WARM_UP_SLUGS, flatten_slugs, warm_up_slugs
from loadtests.bench.servers import SERVERS, base_url, free_port, gunicorn_command, port_of
from loadtests.bench.variants import variant_named

STACK = {
    "DATABASE_URL": "postgres://catalog:pw@127.0.0.1:5432/catalog",
    "DATABASE_REPLICA_URLS": "postgres://catalog@127.0.0.1:5433/catalog,postgres://catalog@127.0.0.1:5434/catalog",
    "DJANGO_SECRET_KEY": "the-stacks-key",
}


def test_every_database_url_names_the_runs_database():
    assert with_database("postgres://u:p@h:1/catalog?sslmode=disable", "bench") == (
        "postgres://u:p@h:1/bench?sslmode=disable"
    )
    env = bench_environment("bench_tiny", 8123, STACK)
    assert env["DATABASE_URL"] == "postgres://catalog:pw@127.0.0.1:5432/bench_tiny"
    assert env["DATABASE_REPLICA_URLS"] == (
        "postgres://catalog@127.0.0.1:5433/bench_tiny,postgres://catalog@127.0.0.1:5434/bench_tiny"
    )
    assert env["MONGODB_DATABASE"] == env["CACHE_KEY_PREFIX"] == "bench_tiny"


def test_the_run_has_production_settings_without_redirect_throttle_or_recycling():
    env = bench_environment("bench", 8123, STACK)
    assert env["DJANGO_SETTINGS_MODULE"] == "loadtests.settings"
    assert env["DJANGO_DEBUG"] == "false" and env["DJANGO_HTTPS"] == "false"
    assert env["API_THROTTLE_RATE"] == "" and env["GUNICORN_MAX_REQUESTS"] == "0"
    assert env["GUNICORN_BIND"] == "127.0.0.1:8123" and env["WEB_CONCURRENCY"] == "2"
    assert env["DJANGO_SECRET_KEY"] == "the-stacks-key"
    assert env["LOCUST_STAFF_USERNAME"] == env["DJANGO_SUPERUSER_USERNAME"]
    assert bench_environment("bench", 1, {**STACK, "BENCH_WORKERS": "4"})["WEB_CONCURRENCY"] == "4"
    assert len(bench_environment("bench", 1, {**STACK, "DJANGO_SECRET_KEY": ""})["DJANGO_SECRET_KEY"]) >= 50


def test_without_a_stack_the_runner_says_how_to_get_one():
    with pytest.raises(SystemExit, match="bin/with-stack"):
        bench_environment("bench", 1, {})


def test_the_catalog_is_seeded_unless_both_stores_hold_the_modes_size():
    tiny = MODES["tiny"]
    assert parse_catalog_size("a log line\n300 300\n") == (300, 300)
    assert not needs_seeding(300, 300, tiny)
    assert needs_seeding(300, 299, tiny)  # a document missing
    assert needs_seeding(20_000, 20_000, tiny)


def test_servers_listen_on_free_loopback_ports():
    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # nothing holds it
    assert port_of(base_url(port)) == port
    assert gunicorn_command("asgi")[-1] == "catalog_service.asgi:application"
    assert gunicorn_command("wsgi")[-1] == "loadtests.wsgi:application"
    assert set(SERVERS) == {"wsgi", "asgi"}


def test_every_category_of_the_tree_is_listed_and_only_the_cached_variant_warms_them_all():
    tree = [
        {"slug": "a", "children": [{"slug": "a1", "children": [{"slug": "a1x", "children": []}]}]},
        {"slug": "b", "children": [{"slug": "b1", "children": []}, {"slug": "b2", "children": []}]},
    ]
    slugs = flatten_slugs(tree)
    assert sorted(slugs) == ["a", "a1", "a1x", "b", "b1", "b2"]
    assert warm_up_slugs(variant_named("ours-cached"), slugs) == slugs
    assert warm_up_slugs(variant_named("asgi-cached"), slugs) == slugs
    assert warm_up_slugs(variant_named("limit"), slugs) == slugs[:WARM_UP_SLUGS]


def test_the_ceiling_is_answered_before_django_and_everything_else_by_the_service():
    from loadtests import wsgi

    def call(path: str) -> tuple[list, bytes]:
        started: list = []
        body = b"".join(
            wsgi.application({"PATH_INFO": path}, lambda status, headers: started.extend([status, headers]))
        )
        return started, body

    (status, headers), body = call("/bench/ceiling/any/products/")
    assert status == "200 OK" and ("Content-Type", "application/json") in headers
    assert body == wsgi.CEILING_BODY and body.startswith(b'{"next":null')
    assert wsgi.application.__module__ == "loadtests.wsgi" and wsgi.service is not wsgi.application
