"""System checks of the routing configuration (``manage.py check``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, register

from catalog_service.db.config import replica_aliases


@register(Tags.database, deploy=False)
def check_database_routes(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """DATABASE_ROUTES must name installed apps or models and databases that exist."""
    errors = []
    replicas = set(replica_aliases(settings.DATABASES))
    for target, alias in getattr(settings, "DATABASE_ROUTES", {}).items():
        if alias not in settings.DATABASES:
            errors.append(Error(
                f"DATABASE_ROUTES sends {target!r} to {alias!r}, which is not in DATABASES.",
                hint="Add it with DATABASE_EXTRA_URLS=alias=postgres://...",
                id="catalog_service.E001",
            ))  # fmt: skip
        elif alias in replicas:
            errors.append(Error(
                f"DATABASE_ROUTES sends {target!r} to the replica {alias!r}; replicas are read-only.",
                id="catalog_service.E002",
            ))  # fmt: skip
        app_label, _, model_name = target.partition(".")
        try:
            config = apps.get_app_config(app_label)
            if model_name:
                config.get_model(model_name)
        except LookupError:
            errors.append(Error(
                f"DATABASE_ROUTES names {target!r}, which is not an installed app or model.",
                id="catalog_service.E003",
            ))  # fmt: skip
    return errors
