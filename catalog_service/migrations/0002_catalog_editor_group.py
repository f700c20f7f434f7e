"""The "catalog editor" group: staff who edit products and categories in Admin, and nothing else.

Editors may view, add and change products and categories, not delete them. A delete cannot be
undone and takes the product's document with it; unpublishing (``is_published``) hides a
product from the API and can be reversed, and a category with products cannot be deleted anyway
(``on_delete=PROTECT``). Deletes, users and groups stay with superusers. Running the migration
again (or its function) resets the group to exactly these permissions.
"""

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

GROUP = "catalog editor"
PERMISSIONS = {
    ("catalog", "product"): ("view", "add", "change"),
    ("categories", "category"): ("view", "add", "change"),
}


def create_catalog_editor_group(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    from django.contrib.auth.management import create_permissions
    from django.db.models import Q

    db = schema_editor.connection.alias
    # Permissions are normally created after all migrations (post_migrate); a fresh database
    # has none yet. create_permissions skips app configs without a models module, which the
    # migration's historical configs lack, hence the stand-in, restored after.
    for app_label in sorted({app for app, _ in PERMISSIONS}):
        config = apps.get_app_config(app_label)
        models_module = getattr(config, "models_module", None)
        config.models_module = models_module or True
        try:
            create_permissions(config, verbosity=0, using=db, apps=apps)
        finally:
            config.models_module = models_module

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    wanted = Q(pk__in=[])
    for (app_label, model), actions in PERMISSIONS.items():
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__in=[f"{action}_{model}" for action in actions],
        )
    group, _ = Group.objects.using(db).get_or_create(name=GROUP)
    group.permissions.set(Permission.objects.using(db).filter(wanted))


def delete_catalog_editor_group(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("auth", "Group").objects.using(schema_editor.connection.alias).filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog_service", "0001_initial"),
        ("catalog", "0001_initial"),
        ("categories", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_catalog_editor_group, delete_catalog_editor_group)]
