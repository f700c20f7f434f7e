"""PostgreSQL backend that knows its role: replicas fail over, the primary is watched."""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from catalog_service.db.config import PRIMARY_ALIAS, REPLICA_ALIAS_PREFIX
from catalog_service.db.failover import retry_on_another_host, watch_primary


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.alias.startswith(REPLICA_ALIAS_PREFIX):
            self.execute_wrappers.append(retry_on_another_host)
        elif self.alias == PRIMARY_ALIAS:
            self.execute_wrappers.append(watch_primary)
