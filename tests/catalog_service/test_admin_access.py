"""Admin access: login lockout (django-axes), the catalog editor group, a configurable URL."""

import importlib
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.urls import reverse

from catalog.models import Product
from tests.factories import CategoryFactory, make_products

ROOT = Path(__file__).resolve().parents[2]
LOGIN = "/admin/login/"
editor_migration = importlib.import_module("catalog_service.migrations.0002_catalog_editor_group")


def login(client, password, ip="192.0.2.10"):
    return client.post(LOGIN, {"username": "staff", "password": password, "next": "/admin/"}, REMOTE_ADDR=ip)


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("staff", password="the right one", is_staff=True)


# Logins commit, as a real client's do (axes records attempts in Postgres).
@pytest.mark.django_db(transaction=True)
def test_bad_logins_lock_the_client_out_even_with_the_right_password(client, settings, staff):
    settings.AXES_FAILURE_LIMIT = 3
    assert login(client, "wrong 1").status_code == 200  # the form again, with an error
    assert login(client, "wrong 2").status_code == 200
    assert login(client, "wrong 3").status_code == 429  # the third failure locks
    locked = login(client, "the right one")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    # The account is locked from every address now (failures count per username too).
    assert login(client, "the right one", ip="192.0.2.99").status_code == 429
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db(transaction=True)
def test_another_account_from_another_address_is_not_locked_out(client, settings, staff, django_user_model):
    settings.AXES_FAILURE_LIMIT = 3
    django_user_model.objects.create_user("other", password="other's", is_staff=True)
    for attempt in range(3):
        login(client, f"wrong {attempt}")
    response = client.post(
        LOGIN, {"username": "other", "password": "other's", "next": "/admin/"}, REMOTE_ADDR="192.0.2.99"
    )
    assert response.status_code == 302


@pytest.mark.django_db(transaction=True)
def test_good_logins_to_another_account_do_not_clear_the_guesses_at_this_one(
    client, settings, staff, django_user_model
):
    """Four bad guesses at one account, then a good login to another from the same address,
    repeated: the guessed-at account ends locked (the address's good logins forgave nothing)."""
    settings.AXES_FAILURE_LIMIT = 5
    django_user_model.objects.create_user("editor", password="editor's", is_staff=True)
    answers = []
    for round_ in range(3):
        for attempt in range(4):
            login(client, f"wrong {round_}.{attempt}")
        good = client.post(LOGIN, {"username": "editor", "password": "editor's", "next": "/admin/"},
                           REMOTE_ADDR="192.0.2.10")  # fmt: skip
        answers.append(good.status_code)
        client.logout()
    assert answers[0] == 302  # the editor's login worked, and forgave only the editor
    assert login(client, "the right one", ip="192.0.2.77").status_code == 429


@pytest.mark.django_db(transaction=True)
def test_a_good_login_below_the_limit_resets_the_count(client, settings, staff):
    settings.AXES_FAILURE_LIMIT = 3
    login(client, "wrong 1")
    login(client, "wrong 2")
    assert login(client, "the right one").status_code == 302
    client.logout()
    assert login(client, "wrong 3").status_code == 200
    assert login(client, "the right one").status_code == 302


@pytest.mark.django_db
def test_the_test_client_logs_in_with_a_request_as_axes_requires(client, staff):
    from django.http import HttpRequest

    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "192.0.2.1"
    assert client.login(request=request, username="staff", password="the right one")


@pytest.mark.django_db
def test_the_editor_group_may_view_add_and_change_products_and_categories_only():
    group = Group.objects.get(name=editor_migration.GROUP)
    assert sorted(group.permissions.values_list("content_type__app_label", "codename")) == [
        ("catalog", "add_product"), ("catalog", "change_product"), ("catalog", "view_product"),
        ("categories", "add_category"), ("categories", "change_category"), ("categories", "view_category"),
    ]  # fmt: skip


@pytest.fixture
def editor(django_user_model):
    """A staff member in the catalog editor group (which a data migration created; made again
    here, as a flush by an earlier transactional test empties the table)."""
    with connection.schema_editor() as schema_editor:
        editor_migration.create_catalog_editor_group(global_apps, schema_editor)
    user = django_user_model.objects.create_user("editor", password="pw", is_staff=True)
    user.groups.add(Group.objects.get(name=editor_migration.GROUP))
    return user


def test_an_editor_edits_a_product_but_cannot_delete_it_or_see_users(client, editor, products_collection):
    assert not editor.has_perm("catalog.delete_product")
    product = make_products(1, CategoryFactory())[0]
    client.force_login(editor)
    change = reverse("admin:catalog_product_change", args=[product.pk])
    assert client.get(change).status_code == 200
    form = {
        "sku": product.sku, "category": product.category_id, "is_published": "on", "name": "Edited",
        "description": "", "price": "9.99", "attributes": "{}", "images": "[]",
    }  # fmt: skip
    assert client.post(change, form).status_code == 302
    assert Product.objects.get(pk=product.pk).name == "Edited"
    assert client.get(reverse("admin:catalog_product_delete", args=[product.pk])).status_code == 403
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403
    index = client.get(reverse("admin:index")).content.decode()
    assert "Products" in index and "Categories" in index
    assert "Users" not in index


@pytest.mark.django_db
def test_the_editor_group_is_reset_by_running_the_migration_again(editor):
    group = Group.objects.get(name=editor_migration.GROUP)
    group.permissions.add(Permission.objects.get(codename="delete_user"))
    with connection.schema_editor() as schema_editor:
        editor_migration.create_catalog_editor_group(global_apps, schema_editor)
    assert not group.permissions.filter(codename="delete_user").exists()
    assert group.permissions.count() == 6


def test_admin_lives_at_the_configured_url():
    script = "from django.urls import reverse; print(reverse('admin:index'))"
    env = {"PATH": "/usr/bin:/bin", "DJANGO_SECRET_KEY": "k" * 50}
    urls = [
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", script], env={**env, **extra}, cwd=ROOT,
            capture_output=True, text=True, check=True, timeout=120,
        ).stdout.strip().splitlines()[-1]
        for extra in ({}, {"DJANGO_ADMIN_URL": "staff/desk-7f3a/"})
    ]  # fmt: skip
    assert urls == ["/admin/", "/staff/desk-7f3a/"]
