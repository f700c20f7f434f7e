"""The project's own migrations, checked against the rules, less the ones exempted."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db.migrations.loader import MigrationLoader

from catalog_service.migration_safety.rules import Violation, check_migration


def project_app_labels() -> set[str]:
    """Return the labels of the apps this repository holds (not Django's, not installed packages'):
    their migrations are the ones a deploy of this project adds."""
    base = Path(settings.BASE_DIR).resolve()
    return {
        config.label
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base) and "site-packages" not in Path(config.path).parts
    }


def project_violations(
    *, exempt: Mapping[str, str] | None = None, loader: MigrationLoader | None = None
) -> list[Violation]:
    """Return every unsafe operation in the project's migrations on disk, except in migrations
    listed in ``exempt`` (``settings.MIGRATION_SAFETY_EXEMPT``: label -> why it is safe)."""
    exempt = settings.MIGRATION_SAFETY_EXEMPT if exempt is None else exempt
    loader = loader or MigrationLoader(None, ignore_no_migrations=True)
    labels = project_app_labels()
    violations: list[Violation] = []
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        if app_label not in labels or f"{app_label}.{name}" in exempt:
            continue
        state = loader.project_state((app_label, name), at_end=False)
        violations += check_migration(migration, state)
    return violations
