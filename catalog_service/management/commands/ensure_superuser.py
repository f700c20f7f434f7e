"""Create the admin user named by DJANGO_SUPERUSER_USERNAME, or reset its password; idempotent."""

from __future__ import annotations

import os
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from catalog_service.db.config import PRIMARY_ALIAS


class Command(BaseCommand):
    help = "Create or update a superuser from DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD."

    def handle(self, *args: Any, **options: Any) -> None:
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip()
        password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        if not username or not password:
            raise CommandError("set DJANGO_SUPERUSER_USERNAME and DJANGO_SUPERUSER_PASSWORD")
        user_model = get_user_model()
        user, created = user_model.objects.db_manager(PRIMARY_ALIAS).get_or_create(
            **{user_model.USERNAME_FIELD: username},
            defaults={"email": os.environ.get("DJANGO_SUPERUSER_EMAIL", "")},
        )
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(password)
        user.save(using=PRIMARY_ALIAS)
        self.stdout.write(f"superuser {username!r} {'created' if created else 'updated'}")
