"""python manage.py check_migrations_safe: fail on migrations unsafe to run while the previous
release still serves traffic (``make lint`` runs it; so does ``check --deploy``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from catalog_service.migration_safety.checks import HINT
from catalog_service.migration_safety.project import project_violations


class Command(BaseCommand):
    help = "Fail on migrations that would break the running release while they are applied."
    requires_system_checks = []  # the deploy check runs the same rules; report them once, here

    def handle(self, *args: Any, **options: Any) -> None:
        violations = project_violations()
        for violation in violations:
            self.stderr.write(str(violation))
        if violations:
            raise CommandError(f"{len(violations)} unsafe migration operation(s). {HINT}")
        self.stdout.write("Migrations are safe to run while the previous release serves traffic.")
