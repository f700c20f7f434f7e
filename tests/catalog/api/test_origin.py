"""Links and cache keys use one origin, and cover the script prefix: no Host header gets cache
entries of its own, and a ``SCRIPT_NAME`` (WSGI) or ``root_path`` (ASGI) cannot change a body
another client receives."""

import http.client
import json

import pytest
from django.core.cache import cache
from django.test import AsyncClient
from django_redis import get_redis_connection

from tests.conftest import ReplicatedClient, wait_for_replicas

pytestmark = pytest.mark.django_db(transaction=True)

LISTING = "/api/v1/categories/home/products/"


@pytest.fixture(params=["wsgi", "asgi"])
def fetch(request):
    """GET ``path`` with a Host header, a script prefix and the port the request arrived on, on
    the WSGI handler (environ) or the ASGI one (scope), as a server would fill them in."""
    if request.param == "wsgi":
        client = ReplicatedClient()

        def get(path, query="", *, host="testserver", prefix="", port="80"):
            # The environ's PATH_INFO is the path after the prefix, as a server splits it.
            return client.get(f"{path}?{query}", headers={"host": host}, SCRIPT_NAME=prefix, SERVER_PORT=port)

        return get
    loop = request.getfixturevalue("event_loop_thread")
    client = AsyncClient()

    def aget(path, query="", *, host="testserver", prefix="", port="80"):
        wait_for_replicas()
        return loop.run(client.request(
            method="GET", path=prefix + path, query_string=query, root_path=prefix,
            headers=[(b"host", host.encode())], server=("testserver", port),
        ))  # fmt: skip

    return aget


def entries(kind="listing"):
    return len(get_redis_connection("default").keys(cache.make_key(f"{kind}:*")))


def links(body):
    return [body["next"], *(item["url"] for item in body["results"])]


def test_host_headers_with_foreign_ports_add_no_cache_entries(fetch, shop):
    cache.clear()
    hosts = [
        "testserver",
        "testserver:8000",
        "testserver:1",
        "TestServer:65535",
        "testserver.",
        "testserver:80",
    ]
    bodies = []
    for host in hosts:
        response = fetch(LISTING, "page_size=3", host=host)
        assert response.status_code == 200, (host, response.content)
        bodies.append(response.content)
    assert entries() == 1 and len(set(bodies)) == 1
    assert all(
        link.startswith("http://testserver/api/v1/") for link in links(fetch(LISTING, "page_size=3").json())
    )
    assert fetch(LISTING, "page_size=3", host="evil.example").status_code == 400
    assert entries() == 1
    # The port the request arrived on is the service's own: links keep it (and get their entry).
    own = fetch(LISTING, "page_size=3", host="testserver:8000", port="8000").json()
    assert all(link.startswith("http://testserver:8000/api/v1/") for link in links(own))


def test_a_configured_public_base_url_is_the_one_origin_of_every_link(fetch, shop, settings):
    settings.PUBLIC_BASE_URL = "https://shop.example.com"
    cache.clear()
    for host in ("testserver", "localhost:8080", "127.0.0.1:9", "LOCALHOST"):
        body = fetch(LISTING, "page_size=3", host=host).json()
        assert all(link.startswith("https://shop.example.com/api/v1/") for link in links(body)), host
        detail = fetch(body["results"][0]["url"].removeprefix("https://shop.example.com"), host=host)
        assert detail.json()["url"] == body["results"][0]["url"]
    tree = fetch("/api/v1/categories/", host="localhost:1").json()
    assert all(node["url"].startswith("https://shop.example.com/api/v1/categories/") for node in tree)
    assert entries("listing") == 1 and entries("product") == 1


def test_a_script_prefix_cannot_change_what_another_client_receives(fetch, shop):
    cache.clear()
    prefixed = fetch(LISTING, "page_size=3", prefix="/evil").json()
    assert all(link.startswith("http://testserver/evil/api/v1/") for link in links(prefixed))
    detail_path = prefixed["results"][0]["url"].removeprefix("http://testserver/evil")
    assert fetch(detail_path, prefix="/evil").json()["url"].startswith("http://testserver/evil/")
    plain = fetch(LISTING, "page_size=3").json()
    assert all(link.startswith("http://testserver/api/v1/") for link in links(plain))
    assert fetch(detail_path).json()["url"] == f"http://testserver{detail_path}"
    assert fetch(LISTING, "page_size=3")["X-Cache"] == "hit"  # each prefix has its own entry
    assert fetch(LISTING, "page_size=3", prefix="/evil").json() == prefixed


def test_public_base_url_is_an_origin_and_api_browsable_follows_debug():
    from django.core.exceptions import ImproperlyConfigured

    from catalog_service import environment

    assert (
        environment.parse_origin("PUBLIC_BASE_URL", "https://Shop.Example.com/") == "https://shop.example.com"
    )
    assert environment.parse_origin("PUBLIC_BASE_URL", "http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert environment.parse_origin("PUBLIC_BASE_URL", "") == ""
    for bad in (
        "shop.example.com",
        "ftp://shop",
        "https://shop/api",
        "https://a@shop",
        "https://shop:x",
        "https://s/?q",
    ):
        with pytest.raises(ImproperlyConfigured, match="PUBLIC_BASE_URL"):
            environment.parse_origin("PUBLIC_BASE_URL", bad)
    base = {"DJANGO_SECRET_KEY": "k" * 50}
    assert environment.load({**base, "DJANGO_DEBUG": "true"}).api_browsable is True
    assert environment.load(base).api_browsable is False
    assert environment.load({**base, "API_BROWSABLE": "true"}).api_browsable is True
    assert environment.load({**base, "DJANGO_SECRET_KEY_FALLBACKS": "a, b"}).secret_key_fallbacks == [
        "a",
        "b",
    ]


def test_under_gunicorn_links_keep_the_listening_port_and_drop_any_other(gunicorn, shop):
    """gunicorn fills SERVER_PORT from the Host header; the port kept is the socket's own."""
    server = gunicorn()
    port = server.url.rsplit(":", 1)[1]
    wait_for_replicas()

    def first_url(host):
        connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=10)
        try:
            connection.request("GET", LISTING + "?page_size=1", headers={"Host": host})
            response = connection.getresponse()
            assert response.status == 200, response.read()
            return json.loads(response.read())["results"][0]["url"]
        finally:
            connection.close()

    assert first_url(f"127.0.0.1:{port}").startswith(f"http://127.0.0.1:{port}/api/v1/products/")
    assert first_url("127.0.0.1:1").startswith("http://127.0.0.1/api/v1/products/")
    assert first_url("127.0.0.1").startswith("http://127.0.0.1/api/v1/products/")
