"""Production serves JSON only (the browsable API with DJANGO_DEBUG or API_BROWSABLE), and every
response of a URL that negotiates says ``Vary: Accept``: hits, misses, 304s and errors, on both
interfaces."""

import pytest

from categories.models import SLUG_MAX_LENGTH
from tests.catalog.api.conftest import listing

pytestmark = pytest.mark.django_db(transaction=True)

LISTING = "/api/v1/categories/home/products/"
HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


def varies_on_accept(response):
    return "accept" in {part.strip().lower() for part in response.get("Vary", "").split(",")}


def test_without_the_setting_every_client_gets_json(client, shop, settings):
    assert settings.API_BROWSABLE is False  # DJANGO_DEBUG is off in the tests
    for accept in (HTML, "text/html"):
        response = client.get(LISTING, {"page_size": 3}, headers={"accept": accept})
        assert response.status_code == 200 and response["Content-Type"] == "application/json", accept
    refused = client.get(LISTING, {"format": "api"})
    assert refused.status_code == 400 and "format" in refused.json()
    settings.API_BROWSABLE = True
    page = client.get(LISTING, {"page_size": 3}, headers={"accept": HTML})
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("browsable", [False, True])
def test_every_response_of_a_negotiating_url_varies_on_accept(client, shop, settings, browsable):
    settings.API_BROWSABLE = browsable
    product = next(p for p in shop["products"] if p.is_published)
    detail = f"/api/v1/products/{product.pk}/"
    responses = {
        "miss": listing(client, page_size=4),
        "hit": listing(client, page_size=4),
        "detail miss": client.get(detail),
        "detail hit": client.get(detail),
        "html": client.get(LISTING, {"page_size": 4}, headers={"accept": HTML}),
        "400": listing(client, page_size="many"),
        "404": client.get("/api/v1/categories/nope/products/"),
        "404 long": client.get(f"/api/v1/categories/{'s' * (SLUG_MAX_LENGTH + 1)}/products/"),
        "detail 404": client.get("/api/v1/products/999999999/"),
        "405": client.post(LISTING, {}),
        "tree": client.get("/api/v1/categories/"),
        "category": client.get("/api/v1/categories/home/"),
    }
    assert responses["hit"]["X-Cache"] == "hit" and responses["detail hit"]["X-Cache"] == "hit"
    for url, etag_of in ((LISTING + "?page_size=4", "hit"), (detail, "detail hit")):
        responses[f"304 {etag_of}"] = client.get(url, headers={"if-none-match": responses[etag_of]["ETag"]})
        assert responses[f"304 {etag_of}"].status_code == 304
    settings.API_THROTTLE_RATE = "1/hour"
    listing(client, page_size=4)
    responses["429"] = listing(client, page_size=4)
    assert responses["429"].status_code == 429
    assert [name for name, response in responses.items() if not varies_on_accept(response)] == []
