"""Production settings: deploy checks, HTTPS behind a proxy, security headers, request limits."""

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def deploy_check(**variables):
    """Run ``manage.py check --deploy --fail-level WARNING`` with only these variables set."""
    env = {"PATH": "/usr/bin:/bin", "DJANGO_DEBUG": "false", **variables}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_deploy_checks_pass_with_a_real_secret_key_and_debug_off():
    result = deploy_check(DJANGO_SECRET_KEY=secrets.token_urlsafe(50), DJANGO_ALLOWED_HOSTS="shop.example")
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    ("variables", "warnings"),
    [
        # Plain HTTP: no redirect, no HSTS, cookies sent in clear.
        ({"DJANGO_HTTPS": "false"}, {"security.W004", "security.W008", "security.W012", "security.W016"}),
        ({"DJANGO_SECURE_HSTS_PRELOAD": "false"}, {"security.W021"}),
        ({"DJANGO_SECRET_KEY": "short-and-weak"}, {"security.W009"}),
    ],
)
def test_deploy_checks_fail_on_an_unsafe_setting(variables, warnings):
    result = deploy_check(**{"DJANGO_SECRET_KEY": secrets.token_urlsafe(50), **variables})
    assert result.returncode != 0
    for warning in warnings:
        assert warning in result.stderr


def test_security_headers_on_every_response(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = settings.SECURE_HSTS_PRELOAD = True
    response = client.get("/healthz", secure=True)
    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_plain_http_is_redirected_except_probes_and_requests_a_proxy_vouches_for(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.SECURE_HSTS_SECONDS = 60
    response = client.get("/api/v1/categories/")
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/api/v1/categories/"
    probe = client.get("/healthz")  # load balancers probe over plain HTTP
    assert probe.status_code == 200
    assert "Strict-Transport-Security" not in probe
    # The proxy terminated TLS and says so: no redirect loop, and HSTS goes out.
    proxied = client.get("/api/v1/categories/", headers={"X-Forwarded-Proto": "https"})
    assert proxied.status_code != 301
    assert proxied["Strict-Transport-Security"].startswith("max-age=60")


@pytest.mark.django_db
def test_oversized_request_bodies_are_refused(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    response = client.post("/admin/login/", {"username": "x", "password": "y" * 5000})
    assert response.status_code == 400
    response = client.post("/admin/login/", {f"field{i}": "v" for i in range(60)})
    assert response.status_code == 400
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code != 400
