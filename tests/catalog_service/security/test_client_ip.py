"""The client address behind trusted proxies: what the API throttle and the login lockout count."""

import pytest
from django.test import RequestFactory

from catalog_service.security.client_ip import client_ip


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (None, None, "10.0.0.1"),
        (None, "1.2.3.4", "10.0.0.1"),  # no trusted proxy: X-Forwarded-For is the client's own word
        (1, "1.2.3.4", "1.2.3.4"),
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client forged the left-most entry
        (2, "6.6.6.6, 1.2.3.4, 172.16.0.2", "1.2.3.4"),
        (3, "1.2.3.4", "1.2.3.4"),
        (1, None, "10.0.0.1"),
    ],
)
def test_client_ip_trusts_only_the_proxies_it_is_told_of(settings, proxies, forwarded, expected):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded else {}
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", **headers)
    assert client_ip(request) == expected
