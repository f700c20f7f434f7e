import pytest
from django.db import connections

from tests.conftest import queries_by_alias  # noqa: F401  (re-exported for the routing tests)


def server_port(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT inet_server_port()")
        return cursor.fetchone()[0]


@pytest.fixture
def replica_ports():
    from django.conf import settings

    from catalog_service.db.config import replica_aliases

    return {alias: int(settings.DATABASES[alias]["PORT"]) for alias in replica_aliases(settings.DATABASES)}
