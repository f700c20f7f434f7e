from tests.catalog.api.conftest import settled, shop  # noqa: F401  (the API tests' catalog)
