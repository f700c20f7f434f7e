"""Every error the service answers is JSON with a message: DRF's, Django's own (400 for too many
fields or a disallowed host, 403, 404, 405, 413, 500) and other middleware's (axes' 429)."""

import pytest


def assert_json_error(response, status):
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    assert isinstance(response.json()["detail"], str) and response.json()["detail"]


@pytest.mark.django_db
def test_too_many_query_fields_is_a_json_400(client):
    query = "&".join(f"f{i}=1" for i in range(1001))
    assert_json_error(client.get(f"/api/v1/categories/?{query}"), 400)


@pytest.mark.django_db
def test_a_disallowed_host_is_a_json_400(client):
    assert_json_error(client.get("/api/v1/categories/", headers={"host": "evil.example"}), 400)


@pytest.mark.django_db
def test_unknown_urls_are_json_404s_everywhere(client):
    assert_json_error(client.get("/api/v1/categories/not a slug/"), 404)
    assert_json_error(client.get("/no-such-page/"), 404)


@pytest.mark.django_db
def test_an_unsupported_method_is_a_json_405_that_names_the_allowed_ones(client, shop):
    replaced = client.post("/healthz")
    assert_json_error(replaced, 405)
    assert replaced["X-Content-Type-Options"] == "nosniff" and replaced["X-Frame-Options"] == "DENY"
    response = client.post("/api/v1/categories/home/products/", {})
    assert_json_error(response, 405)
    assert "GET" in response["Allow"]


@pytest.mark.wsgi_only
@pytest.mark.django_db
def test_a_body_over_the_limit_is_a_json_413(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post("/admin/login/", {"username": "x", "password": "y" * 4096})
    assert_json_error(response, 413)


@pytest.mark.wsgi_only
@pytest.mark.django_db
def test_csrf_and_permission_failures_are_json_403s(client, django_user_model):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert_json_error(strict.post("/admin/login/", {"username": "x", "password": "y"}), 403)
    staff = django_user_model.objects.create_user("plain-staff", password="pw", is_staff=True)
    client.force_login(staff)
    assert_json_error(client.get("/admin/auth/user/"), 403)


@pytest.mark.wsgi_only
@pytest.mark.django_db(transaction=True)
def test_a_locked_out_login_is_a_json_429(client, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for attempt in range(2):
        client.post("/admin/login/", {"username": "nobody", "password": f"wrong {attempt}"})
    assert_json_error(client.post("/admin/login/", {"username": "nobody", "password": "x"}), 429)


@pytest.mark.wsgi_only
@pytest.mark.django_db
def test_a_bug_is_a_json_500(settings):
    from django.test import Client

    settings.ROOT_URLCONF = "tests.catalog.api.error_urls"
    assert_json_error(Client(raise_request_exception=False).get("/broken/"), 500)
