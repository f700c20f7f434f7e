"""The caching tests' shop, and both interfaces: each test that uses ``client`` runs on the
WSGI views and on the ASGI ones. The API tests' own fixtures and hook, not a copy of them."""

from tests.catalog.api.conftest import (  # noqa: F401  (fixtures and the parametrizing hook)
    client,
    interface,
    pytest_generate_tests,
    settled,
    shop,
)
