"""The category listing on the real stack: query budget, keyset pages, filters, ETags."""

from decimal import Decimal

import pytest

from tests.catalog.api.conftest import listing
from tests.conftest import queries_by_alias

pytestmark = pytest.mark.django_db(transaction=True)
REPLICAS = {"replica1", "replica2"}


def published(shop, slugs=("home", "kitchen", "garden")):
    return [p for p in shop["products"] if p.is_published and p.category.slug in slugs]


@pytest.mark.parametrize("page_size", [10, 100])
@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"ordering": "price"},
        {"min_price": "3", "max_price": "12.99"},
        {"attr": "color:red", "ordering": "-price"},
        {"include_descendants": "false", "ordering": "name"},
    ],
    ids=["newest", "price", "price-range", "attribute", "own-only-by-name"],
)
def test_a_page_costs_two_sql_queries_on_a_replica_and_one_mongodb_round_trip(
    client, shop, mongo_commands, page_size, filters, settled
):
    client.get("/api/v1/categories/")  # warm up connections outside the measurement
    settled()  # long after the last write: rebuilds read replicas
    with queries_by_alias() as queries, mongo_commands() as commands:
        response = listing(client, page_size=page_size, **filters)
        assert response.status_code == 200, response.content
        second = client.get(response.json()["next"]) if response.json()["next"] else None
    assert 0 < len(response.json()["results"]) <= page_size
    assert set(queries) <= REPLICAS, queries  # nothing on the primary
    requests = 2 if second is not None else 1
    assert sum(len(q) for q in queries.values()) <= 2 * requests
    assert len(commands) == requests and {c["name"] for c in commands} == {"find"}
    for sql in (s for q in queries.values() for s in q):
        assert "OFFSET" not in sql.upper()
    for command in commands:
        assert "skip" not in command["command"]


@pytest.mark.parametrize("ordering", ["newest", "price", "-price", "name"])
def test_next_links_walk_every_product_once_in_a_stable_order_and_previous_walks_back(client, shop, ordering):
    expected = published(shop)
    key = {
        "newest": lambda p: (p.created_at, p.pk),
        "price": lambda p: (p.price, p.pk),
        "-price": lambda p: (p.price, p.pk),
        "name": lambda p: (p.name, p.pk),
    }[ordering]
    expected_ids = [p.pk for p in sorted(expected, key=key, reverse=ordering in ("newest", "-price"))]
    seen, pages, url = [], [], None
    response = listing(client, ordering=ordering, page_size=7)
    while True:
        body = response.json()
        pages.append([item["id"] for item in body["results"]])
        seen += pages[-1]
        if not body["next"]:
            break
        url = body["next"]
        assert "ordering" in url or ordering == "newest"
        response = client.get(url)
    assert seen == expected_ids
    back = []
    while body["previous"]:
        body = client.get(body["previous"]).json()
        back.append([item["id"] for item in body["results"]])
    assert back == pages[-2::-1]


def test_filters_fields_and_descendants(client, shop):
    body = listing(client, min_price="5", max_price="6.99", page_size=100).json()
    assert body["results"] and all(
        Decimal("5") <= Decimal(r["price"]) <= Decimal("6.99") for r in body["results"]
    )
    assert {r["id"] for r in body["results"]} == {
        p.pk for p in published(shop) if Decimal("5") <= p.price <= Decimal("6.99")
    }
    body = listing(client, attr=["color:red", "size:L", "in_stock:true", "watts:102"], page_size=100).json()
    expected = {
        p.pk for p in published(shop)
        if p.attributes["color"] == "red" and "L" in p.attributes["size"] and p.attributes["in_stock"]
        and p.attributes["watts"] == 102
    }  # fmt: skip
    assert {r["id"] for r in body["results"]} == expected and expected
    own = listing(client, slug="kitchen", include_descendants="false", page_size=100).json()["results"]
    assert {r["id"] for r in own} == {p.pk for p in published(shop, ["kitchen"])}
    home_only = listing(client, include_descendants="false", page_size=100).json()["results"]
    assert {r["id"] for r in home_only} == {p.pk for p in published(shop, ["home"])}
    sparse = listing(client, fields="price,id", page_size=2).json()["results"]
    assert all(list(item) == ["id", "price"] for item in sparse)
    assert listing(client, slug="empty").json() == {"next": None, "previous": None, "results": []}


def test_the_item_shape_and_types(client, shop):
    item = listing(client, page_size=1).json()["results"][0]
    assert list(item) == ["id", "sku", "name", "price", "category", "attributes", "images", "url"]
    product = next(p for p in shop["products"] if p.pk == item["id"])
    assert item["price"] == f"{product.price:.2f}" and isinstance(item["price"], str)
    assert item["category"] == product.category.slug
    assert item["url"] == f"http://testserver/api/v1/products/{product.pk}/"
    detail = client.get(item["url"]).json()
    assert detail["description"] == f"About item {int(product.sku[4:])}"
    assert {k: v for k, v in detail.items() if k != "description"} == item


def test_product_detail_is_404_when_missing_or_unpublished(client, shop):
    hidden = next(p for p in shop["products"] if not p.is_published)
    assert client.get(f"/api/v1/products/{hidden.pk}/").status_code == 404
    assert client.get("/api/v1/products/999999999/").status_code == 404
    assert client.get(f"/api/v1/products/{2**70}/").status_code == 404
    assert client.get("/api/v1/categories/nope/products/").status_code == 404
    assert client.get("/api/v1/categories/nope/").json() == {"detail": "No category with slug 'nope'."}


def test_every_get_carries_an_etag_and_a_matching_if_none_match_gets_304(client, shop):
    for url in ("/api/v1/categories/", "/api/v1/categories/home/", "/api/v1/categories/home/products/",
                f"/api/v1/products/{published(shop)[0].pk}/"):  # fmt: skip
        response = client.get(url)
        etag = response.headers["ETag"]
        assert client.get(url, headers={"if-none-match": etag}).status_code == 304
        assert client.get(url, headers={"if-none-match": '"stale"'}).status_code == 200


@pytest.mark.wsgi_only  # the category views are sync DRF views under both interfaces
def test_the_category_tree_and_breadcrumbs(client, shop, django_assert_max_num_queries):
    tree = client.get("/api/v1/categories/").json()
    home = next(node for node in tree if node["slug"] == "home")
    assert [c["slug"] for c in home["children"]] == ["kitchen", "garden"]
    assert home["products_url"] == "http://testserver/api/v1/categories/home/products/"
    with queries_by_alias() as queries:
        kitchen = client.get("/api/v1/categories/kitchen/").json()
    assert sum(map(len, queries.values())) == 1
    assert [a["slug"] for a in kitchen["ancestors"]] == ["home"]
    assert kitchen["children"] == []
