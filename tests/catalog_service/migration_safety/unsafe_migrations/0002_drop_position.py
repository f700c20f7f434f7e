"""An unsafe migration: the running release still selects categories.position."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("categories", "0001_initial")]

    operations = [migrations.RemoveField("category", "position")]
