"""Production settings: deploy checks, HTTPS behind a proxy, security headers, request limits."""

import json
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

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
    assert response.status_code == 413 and "too large" in response.json()["detail"]
    response = client.post("/admin/login/", {f"field{i}": "v" for i in range(60)})
    assert response.status_code == 400
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code != 400


SETTINGS_FROM_THE_ENVIRONMENT = """
import json
from django.conf import settings as s
print(json.dumps({
    "hosts": s.ALLOWED_HOSTS, "debug": s.DEBUG, "redirect": s.SECURE_SSL_REDIRECT,
    "proxy_header": s.SECURE_PROXY_SSL_HEADER,
    "secure_cookies": [s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE],
    "hsts": [s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SECURE_HSTS_PRELOAD],
    "upload": [s.DATA_UPLOAD_MAX_MEMORY_SIZE, s.DATA_UPLOAD_MAX_NUMBER_FIELDS],
    "databases": sorted(s.DATABASES), "routes": s.DATABASE_ROUTES,
    "routing": [s.PINNING_SECONDS, s.MAX_REPLICA_LAG_SECONDS, s.REPLICA_COOLDOWN_SECONDS],
    "guard": s.DATABASE_PRIMARY_READ_GUARD, "mongodb": [s.MONGODB["URL"], s.MONGODB["NAME"]],
    "redis": [s.CACHES["default"]["LOCATION"], s.CACHES["default"]["KEY_PREFIX"]],
    "ttls": s.CACHE_TTLS, "near": s.CACHE_NEAR_MAX_BYTES, "proxies": s.REST_FRAMEWORK["NUM_PROXIES"],
    "throttle": [s.API_THROTTLE_RATE, s.API_THROTTLE_FAIL_OPEN], "admin": s.ADMIN_URL,
    "axes": [s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds()],
    "logging": [s.LOG_LEVEL, s.LOGGING["handlers"]["console"]["formatter"]],
}))
"""


def settings_with(**variables):
    """Return the settings read from the environment when only these variables are set."""
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "k" * 50, **variables}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + SETTINGS_FROM_THE_ENVIRONMENT],
        env={**env, "DJANGO_SETTINGS_MODULE": "catalog_service.settings"},
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_setting_the_environment_drives_has_its_default():
    assert settings_with() == {
        "hosts": ["127.0.0.1", "localhost"], "debug": False, "redirect": True, "proxy_header": None,
        "secure_cookies": [True, True], "hsts": [31536000, True, True], "upload": [1048576, 1000],
        "databases": ["default", "replica1"], "routes": {}, "routing": [15.0, 10.0, 30.0], "guard": "off",
        "mongodb": ["mongodb://127.0.0.1:57017/?directConnection=true", "catalog"],
        "redis": ["redis://127.0.0.1:56379/0", "catalog"], "ttls": {"listing": 60.0, "product": 300.0},
        "near": 16 * 1024 * 1024, "proxies": None, "throttle": ["600/min", True], "admin": "admin/",
        "axes": [5, 900.0], "logging": ["INFO", "json"],
    }  # fmt: skip


def test_the_settings_follow_their_variables():
    settings = settings_with(
        DJANGO_ALLOWED_HOSTS="shop.example", DJANGO_SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        DJANGO_SECURE_HSTS_SECONDS="3600", DATABASE_REPLICA_URLS="",
        DATABASE_EXTRA_URLS="sessions_db=postgres://u@h/sessions", DATABASE_ROUTES="sessions=sessions_db",
        CACHE_NEAR_MB="0", CACHE_LISTING_TTL="5", DJANGO_TRUSTED_PROXY_COUNT="2", API_THROTTLE_RATE="",
        DJANGO_ADMIN_URL="staff/", AXES_COOLOFF_MINUTES="0.5", LOG_LEVEL="warning", LOG_FORMAT="text",
    )  # fmt: skip
    assert settings["hosts"] == ["shop.example"]
    assert settings["proxy_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert settings["hsts"][0] == 3600
    assert (settings["databases"], settings["routes"]) == (
        ["default", "sessions_db"],
        {"sessions": "sessions_db"},
    )
    assert (settings["near"], settings["ttls"]["listing"], settings["proxies"]) == (0, 5.0, 2)
    assert (settings["throttle"][0], settings["admin"], settings["axes"][1]) == (None, "staff/", 30.0)
    assert settings["logging"] == ["WARNING", "text"]
    plain = settings_with(DJANGO_HTTPS="false")
    assert (plain["redirect"], plain["secure_cookies"], plain["hsts"][0]) == (False, [False, False], 0)


def test_the_deploy_checks_see_the_middleware_subclasses_as_djangos(settings):
    from catalog_service.security.checks import check_as_django_middleware

    # Tests run over plain HTTP: Django's HSTS check speaks, so it saw the SecurityMiddleware.
    found = {message.id for message in check_as_django_middleware()}
    assert "security.W004" in found and not found & {"security.W001", "security.W002", "security.W003"}
    without_security = [path for path in settings.MIDDLEWARE if not path.endswith(".SecurityMiddleware")]
    with override_settings(MIDDLEWARE=without_security):
        assert "catalog_service.security.W001" in {message.id for message in check_as_django_middleware()}
