"""The OpenAPI schema, the documentation page, the browsable API, and 503s."""

import time

import pytest
import yaml

from tests.catalog.api.conftest import listing

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_schema_describes_every_endpoint_parameter_and_error(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    paths = schema["paths"]
    assert set(paths) >= {
        "/api/v1/categories/", "/api/v1/categories/{slug}/", "/api/v1/categories/{slug}/products/",
        "/api/v1/products/{id}/", "/api/v1/categories/{slug}/facets/",
    }  # fmt: skip
    operation = paths["/api/v1/categories/{slug}/products/"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert names >= {"cursor", "page_size", "ordering", "min_price", "max_price", "attr", "fields",
                     "include_descendants", "slug"}  # fmt: skip
    assert set(operation["responses"]) == {"200", "400", "404", "503"}
    assert "attr_range" in names
    facets = paths["/api/v1/categories/{slug}/facets/"]["get"]
    assert {p["name"] for p in facets["parameters"]} == {
        "min_price", "max_price", "attr", "attr_range", "include_descendants", "facets", "price_buckets",
        "slug",
    }  # fmt: skip
    assert set(facets["responses"]) == {"200", "400", "404", "503"}
    assert set(schema["components"]["schemas"]["Facets"]["properties"]) == {
        "count",
        "price",
        "attributes",
        "truncated",
    }
    item = schema["components"]["schemas"]["ProductListItem"]
    assert set(item["properties"]) == {
        "id",
        "sku",
        "name",
        "price",
        "category",
        "attributes",
        "images",
        "url",
    }
    assert (
        item["properties"]["price"]["type"] == "string" and item["properties"]["price"]["format"] == "decimal"
    )


def test_the_docs_page_and_the_browsable_api_work_for_people(client, shop, settings):
    settings.API_BROWSABLE = True  # off unless DJANGO_DEBUG or API_BROWSABLE (production: JSON only)
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    page = client.get("/api/v1/categories/home/products/", headers={"accept": "text/html"})
    assert page.status_code == 200 and page["content-type"].startswith("text/html")
    assert b"Category Products" in page.content
    assert client.get("/api/v1/categories/home/products/?format=json")["content-type"] == "application/json"


def test_responses_match_the_schema(client, shop):
    schema = yaml.safe_load(client.get("/api/schema/").content)["components"]["schemas"]
    item_keys = set(schema["ProductListItem"]["properties"])
    detail_keys = set(schema["ProductDetail"]["properties"])
    body = listing(client, page_size=5).json()
    assert set(body) == set(schema["ProductListPage"]["properties"])
    for item in body["results"]:
        assert set(item) == item_keys
    facets = client.get("/api/v1/categories/home/facets/").json()
    assert set(facets) == set(schema["Facets"]["properties"])
    assert set(facets["price"]) == set(schema["PriceFacet"]["properties"])
    assert set(facets["price"]["buckets"][0]) == set(schema["PriceBucket"]["properties"])
    assert set(facets["attributes"]["color"][0]) == set(schema["FacetValue"]["properties"])
    assert set(client.get(body["results"][0]["url"]).json()) == detail_keys


@pytest.mark.stack
def test_mongodb_down_is_a_fast_503_not_a_hang(client, shop, stack_component):
    stack_component("mongo")
    start = time.monotonic()
    response = listing(client)
    assert time.monotonic() - start < 5
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "temporarily unavailable" in response.json()["detail"]
