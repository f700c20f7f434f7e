"""The project's migrations pass the rules; an unsafe one added to an app fails the command
and the deploy check, naming it, unless it is exempted."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog_service.migration_safety.checks import check_migrations_safe
from catalog_service.migration_safety.project import project_app_labels, project_violations

UNSAFE = "tests.catalog_service.migration_safety.unsafe_migrations"


def test_the_project_apps_are_checked_and_installed_packages_are_not():
    labels = project_app_labels()
    assert {"catalog", "categories", "catalog_service"} <= labels
    assert not labels & {"admin", "auth", "axes", "rest_framework"}


def test_the_projects_migrations_are_safe(capsys):
    assert project_violations() == []
    call_command("check_migrations_safe")
    assert "safe to run" in capsys.readouterr().out


def test_an_unsafe_migration_fails_the_command_and_the_deploy_check(settings, capsys):
    settings.MIGRATION_MODULES = {"categories": UNSAFE}
    with pytest.raises(CommandError, match="1 unsafe migration operation"):
        call_command("check_migrations_safe")
    reported = capsys.readouterr().err
    assert (
        "categories.0002_drop_position: Remove field position from category: drops column 'position'"
        in reported
    )
    (error,) = check_migrations_safe()
    assert error.id == "catalog_service.E010"
    assert "categories.0002_drop_position" in error.msg


def test_an_exempted_migration_passes(settings):
    settings.MIGRATION_MODULES = {"categories": UNSAFE}
    settings.MIGRATION_SAFETY_EXEMPT = {"categories.0002_drop_position": "position unused since release 41"}
    assert project_violations() == []
