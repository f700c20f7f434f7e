"""The migration rules as a deploy check: ``manage.py check --deploy`` fails on an unsafe migration."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, Tags, register

from catalog_service.migration_safety.project import project_violations

HINT = (
    "Split it into expand and contract steps (docs/operations.md, 'Migrations without downtime'), "
    "or list it in MIGRATION_SAFETY_EXEMPT with the reason it is safe."
)


@register(Tags.database, deploy=True)
def check_migrations_safe(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Each operation a deploy cannot run under the previous release is an error."""
    return [Error(str(violation), hint=HINT, id="catalog_service.E010") for violation in project_violations()]
