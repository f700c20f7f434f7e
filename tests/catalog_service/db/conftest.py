import contextlib

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext


class _Capture(CaptureQueriesContext):
    """CaptureQueriesContext that tolerates a server that is down (failover tests stop them)."""

    def __enter__(self):
        self.force_debug_cursor = self.connection.force_debug_cursor
        self.connection.force_debug_cursor = True
        self.initial_queries = len(self.connection.queries_log)
        self.final_queries = None
        return self


@contextlib.contextmanager
def queries_by_alias():
    """Capture the SQL sent to each alias inside the block: ``{alias: [sql, ...]}``."""
    contexts = {alias: _Capture(connections[alias]) for alias in connections}
    with contextlib.ExitStack() as stack:
        for context in contexts.values():
            stack.enter_context(context)
        result: dict[str, list[str]] = {}
        yield result
    for alias, context in contexts.items():
        if context.captured_queries:
            result[alias] = [q["sql"] for q in context.captured_queries]


def server_port(alias):
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT inet_server_port()")
        return cursor.fetchone()[0]


@pytest.fixture
def replica_ports():
    from django.conf import settings

    from catalog_service.db.config import replica_aliases

    return {alias: int(settings.DATABASES[alias]["PORT"]) for alias in replica_aliases(settings.DATABASES)}
