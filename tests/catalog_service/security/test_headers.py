"""Static files carry the frame protection the rest of the site has (WhiteNoise serves them
before SecurityMiddleware and XFrameOptionsMiddleware run)."""

import re

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from catalog_service.static_files import StaticFilesMiddleware

REDIRECT_PAGE = "/static/drf_spectacular_sidecar/swagger-ui-dist/oauth2-redirect.html"


def test_a_static_html_page_cannot_be_framed(settings):
    settings.WHITENOISE_USE_FINDERS = True  # the app's files, without a collectstatic run
    middleware = StaticFilesMiddleware(lambda request: HttpResponse("not static"))
    response = middleware(RequestFactory().get(REDIRECT_PAGE))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"


def _inline_scripts(html: str) -> list[str]:
    return [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]


@pytest.mark.django_db
def test_the_api_docs_and_admin_send_a_content_security_policy_they_keep(client):
    for url in ("/api/docs/", "/admin/login/"):
        response = client.get(url)
        assert response.status_code == 200
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert _inline_scripts(response.content.decode()) == [], url  # the policy would block them
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")


@pytest.mark.django_db
def test_json_needs_no_policy(client):
    assert "Content-Security-Policy" not in client.get("/healthz")
