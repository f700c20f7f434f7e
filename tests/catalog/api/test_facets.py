"""The facets of a category page on the real stack: shape, disjunctive counts, the new filters,
the query budget, bad input, invalidation with the listing, and the same JSON on both paths."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from catalog.cache_keys import category_generation_key
from catalog.models import Product
from catalog_service.caching.generations import bump
from categories.models import Category
from tests.catalog.api.conftest import listing
from tests.conftest import ReplicatedClient, queries_by_alias

pytestmark = pytest.mark.django_db(transaction=True)
REPLICAS = {"replica1", "replica2"}


def facets(client, slug="home", **params):
    return client.get(f"/api/v1/categories/{slug}/facets/", params)


def published(shop, slugs=("home", "kitchen", "garden")):
    return [p for p in shop["products"] if p.is_published and p.category.slug in slugs]


def values(body, key):
    return {entry["value"]: entry["count"] for entry in body["attributes"][key]}


def test_the_shape_counts_and_price_buckets(client, shop):
    response = facets(client)
    assert response.status_code == 200, response.content
    body = response.json()
    assert list(body) == ["count", "price", "attributes", "truncated"]
    products = published(shop)
    assert body["count"] == len(products)
    prices = sorted(p.price for p in products)
    assert body["price"]["min"] == f"{prices[0]:.2f}" and body["price"]["max"] == f"{prices[-1]:.2f}"
    buckets = body["price"]["buckets"]
    assert len(buckets) == 5 and sum(b["count"] for b in buckets) == len(products)
    for bucket in buckets:  # both ends inclusive: the bucket is a price filter of its own
        low, high = Decimal(bucket["min"]), Decimal(bucket["max"])
        assert bucket["count"] == sum(1 for p in products if low <= p.price <= high)
    assert [Decimal(b["min"]) for b in buckets] == sorted(Decimal(b["min"]) for b in buckets)
    assert set(body["attributes"]) == {"color", "size", "watts", "in_stock"}
    assert values(body, "color") == {
        c: sum(1 for p in products if p.attributes["color"] == c) for c in ("red", "blue", "green")
    }
    assert values(body, "size") == {  # a list counts once for each of its values
        s: sum(1 for p in products if s in p.attributes["size"]) for s in ("S", "M", "L")
    }
    assert values(body, "in_stock") == {
        flag: sum(1 for p in products if p.attributes["in_stock"] is flag) for flag in (True, False)
    }
    counts = [entry["count"] for entry in body["attributes"]["watts"]]
    assert counts == sorted(counts, reverse=True)  # by count, then value
    assert body["truncated"] == []
    assert not any(entry["selected"] for entries in body["attributes"].values() for entry in entries)
    one = facets(client, price_buckets=1, facets="color").json()
    assert list(one["attributes"]) == ["color"] and len(one["price"]["buckets"]) == 1
    empty = facets(client, slug="empty").json()
    assert empty == {"count": 0, "price": {"min": None, "max": None, "buckets": []},
                     "attributes": {}, "truncated": []}  # fmt: skip
    assert facets(client, slug="nope").status_code == 404


def test_counts_are_disjunctive(client, shop):
    products = published(shop)
    body = facets(client, attr=["color:red", "size:L"], min_price="3", max_price="9.99").json()

    def matches(p, *, color=True, size=True, price=True):
        return (
            (not color or p.attributes["color"] == "red")
            and (not size or "L" in p.attributes["size"])
            and (not price or Decimal("3") <= p.price <= Decimal("9.99"))
        )

    assert body["count"] == sum(1 for p in products if matches(p))
    # Blue is still counted while red is picked: every filter but color's own.
    assert values(body, "color") == {
        c: n
        for c in ("red", "blue", "green")
        if (n := sum(1 for p in products if matches(p, color=False) and p.attributes["color"] == c))
    }
    assert {e["value"]: e["selected"] for e in body["attributes"]["color"]}["red"] is True
    assert not any(e["selected"] for e in body["attributes"]["color"] if e["value"] != "red")
    assert values(body, "size")["M"] == sum(
        1 for p in products if matches(p, size=False) and "M" in p.attributes["size"]
    )
    unpriced = [p.price for p in products if matches(p, price=False)]
    assert body["price"]["min"] == f"{min(unpriced):.2f}" and body["price"]["max"] == f"{max(unpriced):.2f}"
    assert sum(b["count"] for b in body["price"]["buckets"]) == len(unpriced)
    assert values(body, "watts") == {
        w: n
        for w in range(100, 105)
        if (n := sum(1 for p in products if matches(p) and p.attributes["watts"] == w))
    }


def test_the_listing_takes_the_new_filters(client, shop):
    products = published(shop)

    def listed(**params):
        return {item["id"] for item in listing(client, page_size=100, **params).json()["results"]}

    # Values of one key are alternatives, keys all apply; a list matches when an element does.
    assert listed(attr=["color:red", "color:blue", "size:L"]) == {
        p.pk for p in products if p.attributes["color"] in ("red", "blue") and "L" in p.attributes["size"]
    }
    assert listed(attr_range="watts:101..103") == {
        p.pk for p in products if 101 <= p.attributes["watts"] <= 103
    }
    assert listed(attr_range="watts:..101") == {p.pk for p in products if p.attributes["watts"] <= 101}
    assert listed(attr_range="watts:103..", attr="color:green") == {
        p.pk for p in products if p.attributes["watts"] >= 103 and p.attributes["color"] == "green"
    }
    assert listed(attr_range="color:1..5") == set()  # text is not a number
    page = listing(client, page_size=5, attr_range="watts:101..103", attr=["color:red", "color:blue"]).json()
    assert "attr_range=watts%3A101..103" in page["next"] and page["next"].count("attr=") == 2
    # The facets agree with the listing under the same filters.
    body = facets(client, attr_range="watts:101..103", attr=["color:red", "color:blue"]).json()
    assert body["count"] == len(listed(attr_range="watts:101..103", attr=["color:red", "color:blue"]))


def test_a_list_valued_attribute_in_a_range_matches_on_one_element(client, shop):
    for sku, readings in (("RANGE-1", [1, 9]), ("RANGE-2", [4, 20]), ("RANGE-3", 5), ("RANGE-4", "5")):
        Product.objects.create(category=shop["home"], sku=sku, name=sku, attributes={"readings": readings})
    body = listing(client, attr_range="readings:3..6", page_size=100, fields="sku").json()
    # [1, 9] has one element above and one below, none inside: not a match.
    assert {item["sku"] for item in body["results"]} == {"RANGE-2", "RANGE-3"}
    assert facets(client, attr_range="readings:3..6").json()["count"] == 2
    assert {item["sku"] for item in listing(client, attr="readings:5", fields="sku").json()["results"]} == {
        "RANGE-3",
        "RANGE-4",
    }


@pytest.mark.parametrize("keys", ["color", "color,size,watts,in_stock"], ids=["one-key", "four-keys"])
def test_a_facets_response_costs_one_sql_query_and_one_aggregate_and_a_cached_one_nothing(
    client, shop, mongo_commands, keys, settled
):
    client.get("/api/v1/categories/")  # warm up connections outside the measurement
    settled()
    params = {"facets": keys, "attr": ["color:red", "color:blue", "size:L"], "attr_range": "watts:..103",
              "min_price": "2"}  # fmt: skip
    with queries_by_alias() as queries, mongo_commands() as commands:
        response = facets(client, **params)
        assert response.status_code == 200, response.content
    assert response["X-Cache"] == "miss"
    assert set(queries) <= REPLICAS, queries
    assert sum(len(q) for q in queries.values()) <= 1
    assert [c["name"] for c in commands] == ["aggregate"]
    assert len(response.json()["attributes"]) == len(keys.split(","))
    with queries_by_alias() as queries, mongo_commands() as commands:
        hit = facets(client, **params)
    assert hit["X-Cache"] == "hit" and hit.content == response.content
    assert queries == {} and commands == []


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"attr_range": "watts"}, "attr_range"),
        ({"attr_range": "watts:5"}, "attr_range"),
        ({"attr_range": "watts:.."}, "attr_range"),
        ({"attr_range": "watts:a..b"}, "attr_range"),
        ({"attr_range": "watts:5..1"}, "attr_range"),
        ({"attr_range": "watts:1e999.."}, "attr_range"),
        ({"attr_range": "$where:1..2"}, "attr_range"),
        ({"attr_range": ["watts:1..2", "watts:3..4"]}, "attr_range"),
        ({"attr": "color"}, "attr"),
        ({"facets": ","}, "facets"),
        ({"facets": "a.b"}, "facets"),
        ({"facets": ",".join(f"k{i}" for i in range(21))}, "facets"),
        ({"price_buckets": "0"}, "price_buckets"),
        ({"price_buckets": "21"}, "price_buckets"),
        ({"price_buckets": ["2", "3"]}, "price_buckets"),
        ({"min_price": "9", "max_price": "1"}, "min_price"),
        ({"cursor": "x"}, "cursor"),
        ({"page_size": "5"}, "page_size"),
    ],
)
def test_bad_input_is_a_400_naming_the_parameter(client, shop, params, named):
    response = facets(client, **params)
    assert response.status_code == 400, response.content
    assert named in response.json()
    if named not in ("facets", "price_buckets", "cursor", "page_size"):
        response = listing(client, **params)  # the listing takes the same filters
        assert response.status_code == 400 and named in response.json()


def test_no_input_yields_a_500(client, shop):
    nasty = ["", " ", "\x00", "%", "💥", "'", '"', "\\", "{}", "[]", "a" * 5000, "-0", "0x10", "1_000", "²",
             "k:..", "k:1..2..3", "k:\x00..1", "k:-0..0", "k:1e308..",
             "k:99999999999999999999.."]  # fmt: skip
    names = ("min_price", "max_price", "attr", "attr_range", "include_descendants", "facets", "price_buckets")
    for name in names:
        for value in nasty:
            response = facets(client, **{name: value})
            assert response.status_code in (200, 400), (name, value, response.status_code)
    for value in nasty:
        assert listing(client, attr_range=value).status_code in (200, 400), value


def test_after_an_admin_edit_an_update_and_a_move_the_listing_and_facets_agree(
    client, shop, django_user_model
):
    def agree(slug):
        body = facets(client, slug=slug).json()
        page = listing(client, slug=slug, page_size=100).json()
        items = page["results"]
        while page["next"]:  # at most two pages: 150 products
            page = client.get(page["next"]).json()
            items += page["results"]
        assert body["count"] == len(items)
        for color, count in values(body, "color").items():
            assert count == sum(1 for item in items if item["attributes"]["color"] == color), color
        prices = [Decimal(item["price"]) for item in items]
        assert (Decimal(body["price"]["min"]), Decimal(body["price"]["max"])) == (min(prices), max(prices))
        return body

    for slug in ("home", "kitchen"):
        agree(slug)
        assert facets(client, slug=slug)["X-Cache"] == "hit"
    product = next(p for p in reversed(shop["products"]) if p.category.slug == "kitchen" and p.is_published)
    staff = Client()
    staff.force_login(django_user_model.objects.create_superuser("ed", "ed@example.com", "pw"))
    form = {"sku": product.sku, "category": product.category_id, "is_published": "on", "description": "",
            "name": "Edited in Admin", "price": "0.42", "attributes": '{"color": "purple"}',
            "images": "[]"}  # fmt: skip
    assert staff.post(f"/admin/catalog/product/{product.pk}/change/", form).status_code == 302
    for slug in ("home", "kitchen"):
        body = agree(slug)
        assert values(body, "color")["purple"] == 1 and body["price"]["min"] == "0.42"

    Product.objects.filter(pk=product.pk).update(price=Decimal("0.07"))
    for slug in ("home", "kitchen"):
        assert agree(slug)["price"]["min"] == "0.07"

    before = facets(client, slug="kitchen").json()["count"]
    garden = Category.objects.get(slug="garden")
    garden.parent = shop["kitchen"]
    garden.save()  # moved under kitchen: kitchen's facets now count garden's products too
    assert agree("kitchen")["count"] == before + len(published(shop, ["garden"]))


@pytest.mark.wsgi_only  # compares the two interfaces itself
def test_the_async_view_serves_the_same_json(shop, asgi_client):
    wsgi_client = ReplicatedClient()
    for params in ({}, {"attr": ["color:red", "size:S"], "price_buckets": "7"}, {"facets": "watts,size"}):
        first = facets(asgi_client, **params)
        bump([category_generation_key("home")])  # so that the WSGI view builds its own
        second = facets(wsgi_client, **params)
        assert first.status_code == second.status_code == 200
        assert first["X-Cache"] == second["X-Cache"] == "miss"
        assert first.content == second.content
    bad_asgi, bad_wsgi = facets(asgi_client, price_buckets="x"), facets(wsgi_client, price_buckets="x")
    assert bad_asgi.status_code == bad_wsgi.status_code == 400 and bad_asgi.content == bad_wsgi.content


def test_ensure_document_indexes_creates_the_index_the_facets_match_starts_with(products_collection):
    call_command("ensure_document_indexes")
    keys = [list(info["key"]) for info in products_collection.index_information().values()]
    assert [("category_id", 1), ("is_published", 1)] in [key[:2] for key in keys]
    assert [("attributes.$**", 1)] in keys  # attribute filters and ranges
