"""Schemathesis over every operation of the OpenAPI schema, in process (WSGI), on the real stack.

Each operation gets generated requests, valid and invalid by the schema; with a seeded catalog,
path parameters are drawn half the time from what exists, so listings and details return data.
Every response must be no 5xx, a status, content type, headers and body the schema declares.
"""

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import wait_for_replicas

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 40
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
OPERATIONS = {
    "GET /api/v1/categories/",
    "GET /api/v1/categories/{slug}/",
    "GET /api/v1/categories/{slug}/products/",
    "GET /api/v1/categories/{slug}/facets/",
    "GET /api/v1/products/{id}/",
}


@pytest.fixture
def api_schema(shop):
    wait_for_replicas()  # the seeded catalog is on the replicas that serve the reads
    return schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


def test_the_schema_lists_every_operation(api_schema):
    assert {op.ok().label for op in api_schema.get_all_operations()} == OPERATIONS


@pytest.mark.parametrize(
    ("label", "mode"),
    [(label, GenerationMode.POSITIVE) for label in sorted(OPERATIONS)]
    # Invalid inputs where there are parameters to get wrong (the tree takes none).
    + [(label, GenerationMode.NEGATIVE) for label in sorted(OPERATIONS) if "{" in label],
)
def test_every_operation_answers_as_the_schema_says(label, mode, api_schema, shop):
    operation = api_schema.find_operation_by_label(label)
    slugs = st.sampled_from(["home", "kitchen", "garden", "empty"])
    ids = st.sampled_from([p.pk for p in shop["products"]])
    calls = []

    @given(case=operation.as_strategy(mode), data=st.data())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,  # no example database written into the work tree
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    def conforms(case, data):
        parameters = case.path_parameters or {}
        if "slug" in parameters and data.draw(st.booleans()):  # half the time, one that exists
            parameters["slug"] = data.draw(slugs)
        if "id" in parameters and data.draw(st.booleans()):
            parameters["id"] = data.draw(ids)
        response = case.call()
        calls.append(response.status_code)
        case.validate_response(response, checks=CHECKS)

    conforms()
    assert len(calls) >= (1 if label == "GET /api/v1/categories/" else EXAMPLES_PER_OPERATION // 2), calls
    print(f"{label} {mode}: {len(calls)} requests, statuses {sorted(set(calls))}")


def test_an_api_url_no_route_matches_is_a_json_404(client):
    response = client.get("/api/v1/categories/not a slug/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
    assert client.get("/no-such-page/").json() == {"detail": "Not found."}  # every error is JSON
